const symbols = {{symbols}};
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
deal();
