"""Corpus apps that are games: tic-tac-toe, memory cards, guess the number, a quiz.

Games keep every control live for the interaction probe, which clicks controls in page order: a cell
clicked after a finished round starts the next round, a third memory card flips the unmatched pair back,
a rejected guess clears the box, and quiz answers stay selectable until the answer is checked.
"""

from __future__ import annotations

import random

from corpusgen.kit import App, Copy, count, does, fill, js_value, make_app, pick, present, says

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


def tictactoe_app(rng: random.Random, colors: dict) -> App:
    """Two-player (or versus a simple computer) tic-tac-toe with a scoreboard."""
    one, two = pick(rng, _MARKS)
    names = pick(rng, _PLAYERS)
    computer = rng.random() < 0.4
    if computer:
        names = (names[0], "Computer")
    board = "\n".join(f'<button class="cell" data-i="{i}" aria-label="Cell {i + 1}"></button>' for i in range(9))
    body = fill("games/tictactoe.html", first=names[0], second=names[1], one=one, board=board)
    size = rng.choice([72, 84, 96, 110])
    css = fill("games/tictactoe.css", size=size, gap=rng.randint(4, 10), fs=size // 2, **colors)
    js = fill(
        "games/tictactoe.js", marks=js_value([one, two]), names=js_value(list(names)), computer=js_value(computer)
    )
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


def memory_app(rng: random.Random, colors: dict) -> App:
    """A memory card game; cards are laid out by the script (shuffled), moves and pairs are counted."""
    pairs = rng.choice([6, 8])
    symbols = pick(rng, _SYMBOLS)[:pairs]
    size = rng.choice([64, 72, 84])
    cols = 4 if pairs == 8 else rng.choice([3, 4])
    css = fill("games/memory.css", cols=cols, size=size, gap=rng.randint(6, 12), fs=size // 2, **colors)
    js = fill("games/memory.js", symbols=js_value(symbols))
    checklist = [
        count(f"Deals {pairs * 2} cards", ".card", pairs * 2),
        does("Flipping a card counts a move", [{"click": ".card"}], "#moves", "1"),
        says("Shows a pairs counter", "Pairs"),
        present("Has a restart button", "#restart"),
    ]
    return make_app(
        rng, "memory_game", _MEMORY, (fill("games/memory.html", pairs=pairs), css, js), checklist, pairs=pairs
    )


_GUESS = Copy(
    titles=["Guess the Number", "Number Hunt", "Higher or Lower", "Mind Reader"],
    nouns=["a guess-the-number game (1 to {top})", "a higher/lower number guessing game",
           "a number guessing game from 1 to {top}"],
    features=["higher/lower hints", "a limited number of tries", "a list of previous guesses", "Enter key support"],
    taglines=["Higher or lower? Find out.", "Can you read my mind?", "Fewer tries, more glory."],
    tips=["Press Enter to guess.", "Halve the range each time.", "A new game picks a new number."],
)  # fmt: skip
_TRIES = {10: 4, 20: 5, 50: 7, 100: 8, 1000: 11}  # enough for a binary search, and not one more


def guess_app(rng: random.Random, colors: dict) -> App:
    """Guess the number: higher/lower hints, an attempts counter and a history of guesses."""
    top = pick(rng, _TRIES)
    limit = _TRIES[top]
    css = fill("games/guess.css", fs=rng.choice([1.1, 1.3, 1.5]), w=rng.choice([110, 140, 160]), **colors)
    js = fill("games/guess.js", top=top, limit=limit)
    too_big = [{"fill": "#guess", "value": str(top + 5)}, {"click": "#submit"}]
    one = [{"fill": "#guess", "value": "1"}, {"click": "#submit"}]
    checklist = [
        present("Has a guess input", "#guess"),
        present("Has a guess button", "#submit"),
        does("Rejects a guess out of range", too_big, "#feedback", f"{top + 5} is not between 1 and {top}."),
        does("A guess uses up a try", one, "#left", str(limit - 1)),
        says("States the range", f"between 1 and {top}"),
    ]
    page = (fill("games/guess.html", top=top, limit=limit), css, js)
    return make_app(rng, "guess_number", _GUESS, page, checklist, top=top)


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


def quiz_app(rng: random.Random, colors: dict) -> App:
    """A multiple-choice quiz: pick an answer, check it, go on; the answers are shuffled per page."""
    questions = []
    for text, answers in pick(rng, _QUESTIONS, rng.randint(3, 6)):
        order = pick(rng, range(4), 4)  # answers[0] is the right one
        questions.append({"q": text, "options": [answers[i] for i in order], "answer": order.index(0)})
    buttons = "\n".join(f'<button class="option" data-i="{i}"></button>' for i in range(4))
    body = fill("games/quiz.html", buttons=buttons, n=len(questions))
    css = fill("games/quiz.css", cols=rng.choice(["1fr", "1fr 1fr"]), gap=rng.randint(6, 14), **colors)
    js = fill("games/quiz.js", questions=js_value(questions))
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
