const marks = {{marks}};
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
document.getElementById('reset').addEventListener('click', newRound);
