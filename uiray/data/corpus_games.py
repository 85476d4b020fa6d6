"""Corpus apps that are games: tic-tac-toe, memory cards, guess the number, a quiz.

Games keep every control live for the interaction probe, which clicks controls in page order: a cell
clicked after a finished round starts the next round, a third memory card flips the unmatched pair back,
a rejected guess clears the box, and quiz answers stay selectable until the answer is checked.
"""

from __future__ import annotations

import random

from uiray.data.corpus_kit import App, Copy, count, does, fill, js_value, make_app, pick, present, says

_MARKS = [("X", "O"), ("❌", "⭕"), ("🐱", "🐶"), ("★", "●"), ("A", "B")]
_PLAYERS = [("Player 1", "Player 2"), ("You", "Friend"), ("Red", "Blue"), ("Cat", "Dog")]
_TICTACTOE = Copy(
    titles=["Tic Tac Toe", "Noughts & Crosses", "Three in a Row", "XO Arena"],
    nouns=["{noun}"],
    features=["a scoreboard", "win highlighting", "a new game button", "custom marks"],
    taglines=["Get three in a row.", "Best of many rounds.", "Classic game, fresh look."],
    tips=[
        "Click any cell after a round to start the next.",
        "The winning line lights up.",
        "Scores last until reload.",
    ],
)
_TICTACTOE_HTML = """<section class="panel game">
<p id="status" class="status">{{first}} ({{one}}) to move</p>
<div class="board" id="board">
{{board}}
</div>
<div class="row"><button id="reset">New game</button>
<span class="score">{{first}} <b id="score-x">0</b> · {{second}} <b id="score-o">0</b> ·
Draws <b id="score-d">0</b></span></div>
</section>"""
_TICTACTOE_CSS = """.board { display: grid; grid-template-columns: repeat(3, {{size}}px); gap: {{gap}}px;
  margin: 12px 0; }
.cell { height: {{size}}px; font-size: {{fs}}px; background: {{surface}}; color: {{text}};
  outline: 2px solid {{accent}}55; }
.cell.win { background: {{accent2}}; color: #fff; }
.status { font-size: 1.2rem; font-weight: 600; }"""


def tictactoe_app(rng: random.Random, colors: dict) -> App:
    """Two-player (or versus a simple computer) tic-tac-toe with a scoreboard."""
    one, two = pick(rng, _MARKS)
    names = pick(rng, _PLAYERS)
    computer = rng.random() < 0.4
    if computer:
        names = (names[0], "Computer")
    board = "\n".join(f'<button class="cell" data-i="{i}" aria-label="Cell {i + 1}"></button>' for i in range(9))
    body = fill(_TICTACTOE_HTML, first=names[0], second=names[1], one=one, board=board)
    size = rng.choice([72, 84, 96, 110])
    css = fill(_TICTACTOE_CSS, size=size, gap=rng.randint(4, 10), fs=size // 2, **colors)
    js = fill(_TTT_JS, marks=js_value([one, two]), names=js_value(list(names)), computer=js_value(computer))
    second = f"{names[0]} ({one}) to move" if computer else f"{names[1]} ({two}) to move"
    checklist = [
        count("Has a 3×3 board", ".cell", 9),
        does("Clicking a cell places a mark", [{"click": '[data-i="4"]'}], '[data-i="4"]', one),
        does("Turns alternate", [{"click": '[data-i="0"]'}], "#status", second),
        present("Has a new game button", "#reset"),
        says("Keeps score of draws", "Draws"),
    ]
    if not computer:
        steps = [{"click": f'[data-i="{i}"]'} for i in (0, 3, 1, 4, 2)]
        checklist.append(does("Three in a row wins", steps, "#score-x", "1"))
        noun = pick(rng, ["a tic-tac-toe game", "a two-player noughts and crosses"])
    else:
        noun = "a tic-tac-toe game against the computer"
    return make_app(rng, "tic_tac_toe", _TICTACTOE, (body, css, js), checklist, noun=noun)


_TTT_JS = """const marks = {{marks}};
const names = {{names}};
const vsComputer = {{computer}};
const cells = Array.from(document.querySelectorAll('.cell'));
const statusLine = document.getElementById('status');
const lines = [[0,1,2],[3,4,5],[6,7,8],[0,3,6],[1,4,7],[2,5,8],[0,4,8],[2,4,6]];
let board = Array(9).fill(null), turn = 0, over = false;

function winner() {
  for (const line of lines) {
    const [a, b, c] = line;
    if (board[a] !== null && board[a] === board[b] && board[a] === board[c]) return line;
  }
  return null;
}

function newRound() {
  board = Array(9).fill(null); turn = 0; over = false;
  cells.forEach(cell => { cell.textContent = ''; cell.classList.remove('win'); });
  statusLine.textContent = names[0] + ' (' + marks[0] + ') to move';
}

function place(i) {
  board[i] = turn;
  cells[i].textContent = marks[turn];
  const line = winner();
  if (line) {
    line.forEach(j => cells[j].classList.add('win'));
    statusLine.textContent = names[turn] + ' wins!';
    const score = document.getElementById(turn === 0 ? 'score-x' : 'score-o');
    score.textContent = +score.textContent + 1;
    over = true;
  } else if (board.every(v => v !== null)) {
    statusLine.textContent = 'Draw!';
    const draws = document.getElementById('score-d');
    draws.textContent = +draws.textContent + 1;
    over = true;
  } else {
    turn = 1 - turn;
    statusLine.textContent = names[turn] + ' (' + marks[turn] + ') to move';
  }
}

cells.forEach((cell, i) => cell.addEventListener('click', () => {
  if (over) newRound();
  if (board[i] !== null) { statusLine.textContent = 'Cell ' + (i + 1) + ' is taken, pick another.'; return; }
  place(i);
  if (vsComputer && !over && turn === 1) {
    const free = board.map((v, j) => v === null ? j : -1).filter(j => j >= 0);
    place(free.includes(4) ? 4 : free[Math.floor(Math.random() * free.length)]);
  }
}));
document.getElementById('reset').addEventListener('click', newRound);"""


_SYMBOLS = [
    ["🍎", "🍋", "🍇", "🍒", "🥝", "🍑", "🍍", "🥥"],
    ["🐶", "🐱", "🦊", "🐼", "🐸", "🐵", "🦁", "🐧"],
    ["★", "♥", "♦", "♣", "♠", "☀", "☂", "♪"],
    ["🚀", "🛸", "🌍", "🌙", "⭐", "☄️", "🪐", "🌞"],
    ["A", "B", "C", "D", "E", "F", "G", "H"],
]
_MEMORY = Copy(
    titles=["Memory Match", "Pair Up", "Flip & Match", "Concentration"],
    nouns=["a memory card matching game", "a card flipping memory game", "a concentration game"],
    features=["a move counter", "a shuffle button", "{pairs} pairs", "flip animations"],
    taglines=["Flip two cards, find the twins.", "Train your memory.", "How few moves can you do?"],
    tips=["Matched pairs stay face up.", "A third click hides a wrong pair.", "Restart shuffles the deck."],
)
_MEMORY_HTML = """<section class="panel">
<div class="row"><span>Moves: <b id="moves">0</b></span><span>Pairs: <b id="pairs">0</b> / {{pairs}}</span>
<span id="message" class="muted">Find all the pairs.</span></div>
<div id="grid" class="grid"></div>
<button id="restart">Shuffle &amp; restart</button>
</section>"""
_MEMORY_CSS = """.grid { display: grid; grid-template-columns: repeat({{cols}}, {{size}}px); gap: {{gap}}px;
  margin: 14px 0; }
.card { height: {{size}}px; font-size: {{fs}}px; background: {{accent}}; color: transparent;
  transition: transform .2s; }
.card.up, .card.done { background: {{surface}}; color: {{text}}; transform: rotateY(180deg); }
.card.done { outline: 3px solid {{accent2}}; }"""


def memory_app(rng: random.Random, colors: dict) -> App:
    """A memory card game; cards are laid out by the script (shuffled), moves and pairs are counted."""
    pairs = rng.choice([6, 8])
    symbols = pick(rng, _SYMBOLS)[:pairs]
    size = rng.choice([64, 72, 84])
    cols = 4 if pairs == 8 else rng.choice([3, 4])
    css = fill(_MEMORY_CSS, cols=cols, size=size, gap=rng.randint(6, 12), fs=size // 2, **colors)
    js = fill(_MEMORY_JS, symbols=js_value(symbols))
    checklist = [
        count(f"Deals {pairs * 2} cards", ".card", pairs * 2),
        does("Flipping a card counts a move", [{"click": ".card"}], "#moves", "1"),
        says("Shows a pairs counter", "Pairs"),
        present("Has a restart button", "#restart"),
    ]
    return make_app(rng, "memory_game", _MEMORY, (fill(_MEMORY_HTML, pairs=pairs), css, js), checklist, pairs=pairs)


_MEMORY_JS = """const symbols = {{symbols}};
const grid = document.getElementById('grid');
let faceUp = [], moves = 0, found = 0;

function shuffle(items) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function flip(card) {
  if (card.classList.contains('up') || card.classList.contains('done')) {
    document.getElementById('message').textContent = 'That card is already showing.';
    return;
  }
  if (faceUp.length === 2) { faceUp.forEach(c => c.classList.remove('up')); faceUp = []; }
  card.classList.add('up');
  faceUp.push(card);
  document.getElementById('moves').textContent = ++moves;
  if (faceUp.length === 2 && faceUp[0].dataset.symbol === faceUp[1].dataset.symbol) {
    faceUp.forEach(c => c.classList.add('done'));
    faceUp = [];
    document.getElementById('pairs').textContent = ++found;
    const finished = found === symbols.length;
    document.getElementById('message').textContent = finished ? 'All pairs found in ' + moves + ' moves!' : 'A match!';
  }
}

function deal() {
  grid.innerHTML = '';
  faceUp = []; moves = 0; found = 0;
  document.getElementById('moves').textContent = '0';
  document.getElementById('pairs').textContent = '0';
  document.getElementById('message').textContent = 'Find all the pairs.';
  shuffle(symbols.concat(symbols)).forEach(symbol => {
    const card = document.createElement('button');
    card.className = 'card';
    card.dataset.symbol = symbol;
    card.textContent = symbol;
    card.setAttribute('aria-label', 'Card');
    card.addEventListener('click', () => flip(card));
    grid.append(card);
  });
}

document.getElementById('restart').addEventListener('click', deal);
deal();"""


_GUESS = Copy(
    titles=["Guess the Number", "Number Hunt", "Higher or Lower", "Mind Reader"],
    nouns=["a guess-the-number game (1 to {top})", "a higher/lower number guessing game",
           "a number guessing game from 1 to {top}"],
    features=["higher/lower hints", "a limited number of tries", "a list of previous guesses", "Enter key support"],
    taglines=["Higher or lower? Find out.", "Can you read my mind?", "Fewer tries, more glory."],
    tips=["Press Enter to guess.", "Halve the range each time.", "A new game picks a new number."],
)  # fmt: skip
_GUESS_HTML = """<section class="panel">
<p>I am thinking of a number between <b>1</b> and <b>{{top}}</b>. You have <b>{{limit}}</b> tries.</p>
<div class="row"><input id="guess" inputmode="numeric" placeholder="Your guess" aria-label="Your guess">
<button id="submit">Guess</button><button id="new-game" class="ghost">New game</button></div>
<p id="feedback" class="feedback" role="status">Make your first guess.</p>
<p>Tries left: <b id="left">{{limit}}</b></p>
<ol id="history" class="history"></ol>
</section>"""
_GUESS_CSS = """.feedback { font-size: {{fs}}rem; font-weight: 700; color: {{accent}}; }
.history { display: flex; flex-wrap: wrap; gap: 6px; padding-left: 18px; }
.history li { padding: 2px 8px; border-radius: 99px; background: {{accent2}}22; }
#guess { width: {{w}}px; }"""
_TRIES = {10: 4, 20: 5, 50: 7, 100: 8, 1000: 11}  # enough for a binary search, and not one more


def guess_app(rng: random.Random, colors: dict) -> App:
    """Guess the number: higher/lower hints, an attempts counter and a history of guesses."""
    top = pick(rng, _TRIES)
    limit = _TRIES[top]
    css = fill(_GUESS_CSS, fs=rng.choice([1.1, 1.3, 1.5]), w=rng.choice([110, 140, 160]), **colors)
    js = fill(_GUESS_JS, top=top, limit=limit)
    too_big = [{"fill": "#guess", "value": str(top + 5)}, {"click": "#submit"}]
    one = [{"fill": "#guess", "value": "1"}, {"click": "#submit"}]
    checklist = [
        present("Has a guess input", "#guess"),
        present("Has a guess button", "#submit"),
        does("Rejects a guess out of range", too_big, "#feedback", f"{top + 5} is not between 1 and {top}."),
        does("A guess uses up a try", one, "#left", str(limit - 1)),
        says("States the range", f"between 1 and {top}"),
    ]
    page = (fill(_GUESS_HTML, top=top, limit=limit), css, js)
    return make_app(rng, "guess_number", _GUESS, page, checklist, top=top)


_GUESS_JS = """const maxNumber = {{top}}, limit = {{limit}};
const input = document.getElementById('guess');
const feedback = document.getElementById('feedback');
const guesses = document.getElementById('history');
let secret, left, done;

function newGame() {
  secret = 1 + Math.floor(Math.random() * maxNumber);
  left = limit; done = false;
  guesses.innerHTML = '';
  document.getElementById('left').textContent = left;
  feedback.textContent = 'New number picked. Good luck!';
  input.value = '';
}

function guess() {
  const value = input.value.trim();
  if (done) { feedback.textContent = 'Round over. Press New game to play again.'; return; }
  if (!/^\\d+$/.test(value) || +value < 1 || +value > maxNumber) {
    // Clear a rejected entry so the next try starts from an empty box.
    if (!value) feedback.textContent = 'Type a number first.';
    else if (!/^\\d+$/.test(value)) feedback.textContent = 'Use digits only.';
    else feedback.textContent = value + ' is not between 1 and ' + maxNumber + '.';
    input.value = '';
    return;
  }
  const n = +value;
  left -= 1;
  document.getElementById('left').textContent = left;
  const item = document.createElement('li');
  item.textContent = n;
  guesses.append(item);
  if (n === secret) { feedback.textContent = 'Correct! It was ' + secret + '.'; done = true; }
  else if (left === 0) { feedback.textContent = 'Out of tries. It was ' + secret + '.'; done = true; }
  else feedback.textContent = n < secret ? n + ' is too low.' : n + ' is too high.';
  input.select();
}

document.getElementById('submit').addEventListener('click', guess);
input.addEventListener('keydown', event => { if (event.key === 'Enter') guess(); });
document.getElementById('new-game').addEventListener('click', newGame);
newGame();
feedback.textContent = 'Make your first guess.';"""

_QUESTIONS = [
    ("Which planet is known as the Red Planet?", ["Mars", "Venus", "Jupiter", "Mercury"]),
    ("What is the largest ocean on Earth?", ["Pacific", "Atlantic", "Indian", "Arctic"]),
    ("How many sides does a hexagon have?", ["6", "5", "8", "7"]),
    ("Which gas do plants absorb from the air?", ["Carbon dioxide", "Oxygen", "Nitrogen", "Helium"]),
    ("What is the capital of Canada?", ["Ottawa", "Toronto", "Vancouver", "Montreal"]),
    ("Who painted the Mona Lisa?", ["Leonardo da Vinci", "Michelangelo", "Raphael", "Donatello"]),
    ("What does HTML stand for?", ["HyperText Markup Language", "High Tech Modern Language",
                                   "Hyperlink Text Mode Logic", "Home Tool Markup Language"]),
    ("Which element has the symbol O?", ["Oxygen", "Gold", "Osmium", "Iron"]),
    ("How many minutes are in a day?", ["1440", "1200", "1660", "960"]),
    ("Which language runs natively in web browsers?", ["JavaScript", "Python", "C++", "Rust"]),
    ("What is the boiling point of water at sea level in °C?", ["100", "90", "110", "120"]),
    ("Which animal is the largest mammal?", ["Blue whale", "Elephant", "Giraffe", "Orca"]),
    ("What is 12 × 12?", ["144", "124", "132", "154"]),
    ("Which continent is Egypt in?", ["Africa", "Asia", "Europe", "South America"]),
    ("What colour do you get by mixing blue and yellow?", ["Green", "Purple", "Orange", "Brown"]),
    ("Which CSS property changes text colour?", ["color", "font-color", "text-color", "foreground"]),
    ("How many players are on a football (soccer) team on the pitch?", ["11", "9", "10", "12"]),
    ("What is the square root of 81?", ["9", "8", "7", "18"]),
    ("Which instrument has 88 keys?", ["Piano", "Guitar", "Violin", "Flute"]),
    ("What is the chemical formula of water?", ["H2O", "CO2", "O2", "NaCl"]),
    ("Which year did the first person walk on the Moon?", ["1969", "1959", "1972", "1965"]),
    ("Which is the smallest prime number?", ["2", "1", "3", "0"]),
]  # fmt: skip
_QUIZ = Copy(
    titles=["Quick Quiz", "Trivia Time", "Brain Teaser", "{Topic} Quiz"],
    nouns=["a {n}-question {topic} quiz", "a {topic} quiz with {n} questions"],
    features=["instant feedback", "a score counter", "a progress indicator", "shuffled answers"],
    taglines=["Pick an answer, then check it.", "How many can you get?", "No time limit."],
    tips=["Change your pick until you check.", "Next skips ahead.", "Your score shows at the end."],
)
_QUIZ_HTML = """<section class="panel quiz">
<p class="muted" id="progress"></p>
<h2 id="question"></h2>
<div class="options">
{{buttons}}
</div>
<div class="row"><button id="check">Check answer</button><button id="next" class="ghost">Next question</button>
<span id="verdict"></span></div>
<p>Score: <b id="score">0</b> / {{n}}</p>
</section>"""
_QUIZ_CSS = """.options { display: grid; grid-template-columns: {{cols}}; gap: {{gap}}px; margin: 12px 0; }
.option { background: {{surface}}; color: {{text}}; outline: 2px solid {{accent}}44; text-align: left; }
.option.picked { outline-color: {{accent}}; background: {{accent}}22; }
.option.right { background: #16a34a; color: #fff; }
.option.wrong { background: #dc2626; color: #fff; }"""


def quiz_app(rng: random.Random, colors: dict) -> App:
    """A multiple-choice quiz: pick an answer, check it, go on; the answers are shuffled per page."""
    questions = []
    for text, answers in pick(rng, _QUESTIONS, rng.randint(3, 6)):
        order = pick(rng, range(4), 4)  # answers[0] is the right one
        questions.append({"q": text, "options": [answers[i] for i in order], "answer": order.index(0)})
    buttons = "\n".join(f'<button class="option" data-i="{i}"></button>' for i in range(4))
    body = fill(_QUIZ_HTML, buttons=buttons, n=len(questions))
    css = fill(_QUIZ_CSS, cols=rng.choice(["1fr", "1fr 1fr"]), gap=rng.randint(6, 14), **colors)
    js = fill(_QUIZ_JS, questions=js_value(questions))
    first = questions[0]
    right, wrong = first["answer"], (first["answer"] + 1) % 4
    checklist = [
        count("Shows four answer options", ".option", 4),
        says("Shows the first question", first["q"]),
        does("A right answer scores a point", [{"click": f'.option[data-i="{right}"]'}, {"click": "#check"}],
             "#score", "1"),
        does("A wrong answer reveals the right one", [{"click": f'.option[data-i="{wrong}"]'}, {"click": "#check"}],
             "#verdict", f"Not quite: {first['options'][right]}."),
        does("Next moves on", [{"click": "#next"}], "#progress", f"Question 2 of {len(questions)}"),
    ]  # fmt: skip
    topic = pick(rng, ["general knowledge", "trivia", "science and geography", "pub quiz"])
    return make_app(rng, "quiz", _QUIZ, (body, css, js), checklist, topic=topic, Topic=topic.title(), n=len(questions))


_QUIZ_JS = """const questions = {{questions}};
const options = Array.from(document.querySelectorAll('.option'));
const verdict = document.getElementById('verdict');
let index = 0, picked = null, checked = false, score = 0;

function showQuestion() {
  const q = questions[index];
  document.getElementById('progress').textContent = 'Question ' + (index + 1) + ' of ' + questions.length;
  document.getElementById('question').textContent = q.q;
  options.forEach((button, i) => { button.textContent = q.options[i]; button.className = 'option'; });
  picked = null; checked = false;
  verdict.textContent = '';
}

options.forEach((button, i) => button.addEventListener('click', () => {
  if (checked) { verdict.textContent = 'Already checked. Press Next.'; return; }
  picked = i;
  options.forEach(b => b.classList.toggle('picked', b === button));
}));

document.getElementById('check').addEventListener('click', () => {
  if (picked === null) { verdict.textContent = 'Pick an answer first.'; return; }
  if (checked) return;
  checked = true;
  const q = questions[index];
  options[q.answer].classList.add('right');
  if (picked === q.answer) { score += 1; verdict.textContent = 'Correct!'; }
  else { options[picked].classList.add('wrong'); verdict.textContent = 'Not quite: ' + q.options[q.answer] + '.'; }
  document.getElementById('score').textContent = score;
});

document.getElementById('next').addEventListener('click', () => {
  if (index + 1 < questions.length) { index += 1; showQuestion(); return; }
  verdict.textContent = 'Finished! You scored ' + score + ' of ' + questions.length + '. Starting over.';
  index = 0; score = 0;
  document.getElementById('score').textContent = '0';
  showQuestion();
  verdict.textContent = 'New round. Good luck!';
});

showQuestion();"""
