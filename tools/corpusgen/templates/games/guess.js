const maxNumber = {{top}}, limit = {{limit}};
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
  if (!/^\d+$/.test(value) || +value < 1 || +value > maxNumber) {
    // Clear a rejected entry so the next try starts from an empty box.
    if (!value) feedback.textContent = 'Type a number first.';
    else if (!/^\d+$/.test(value)) feedback.textContent = 'Use digits only.';
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
feedback.textContent = 'Make your first guess.';
