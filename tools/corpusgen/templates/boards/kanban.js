const columns = {{columns}};
const board = document.getElementById('board');

function counts() {
  columns.forEach((_, i) => {
    document.getElementById('count-' + i).textContent = document.querySelectorAll('#col-' + i + ' .card').length;
  });
}

function place(card, col) {
  document.getElementById('col-' + col).append(card);
  card.dataset.col = col;
  card.querySelector('.prev').disabled = col === 0;
  card.querySelector('.next').disabled = col === columns.length - 1;
  counts();
}

function makeCard(title, tag, col) {
  const card = document.createElement('div');
  card.className = 'card';
  const name = document.createElement('div');
  name.className = 'title';
  name.textContent = title;
  card.append(name);
  if (tag) {
    const label = document.createElement('span');
    label.className = 'tag';
    label.textContent = tag;
    card.append(label);
  }
  const controls = document.createElement('div');
  [['prev', '◀', -1], ['next', '▶', 1]].forEach(([cls, text, step]) => {
    const button = document.createElement('button');
    button.className = cls;
    button.textContent = text;
    button.setAttribute('aria-label', cls === 'prev' ? 'Move left' : 'Move right');
    button.addEventListener('click', () => place(card, +card.dataset.col + step));
    controls.append(button);
  });
  const remove = document.createElement('button');
  remove.textContent = '✕'; remove.className = 'ghost'; remove.setAttribute('aria-label', 'Delete card');
  remove.addEventListener('click', () => { card.remove(); counts(); });
  controls.append(remove);
  card.append(controls);
  place(card, col);
}

columns.forEach((title, i) => {
  const column = document.createElement('section');
  column.className = 'column';
  column.innerHTML = '<h3></h3><div class="cards" id="col-' + i + '"></div>';
  column.querySelector('h3').textContent = title + ' ';
  const badge = document.createElement('span');
  badge.id = 'count-' + i; badge.className = 'muted';
  column.querySelector('h3').append(badge);
  board.append(column);
});
{{cards}}.forEach(c => makeCard(c.title, c.tag, c.col));
document.getElementById('add-card').addEventListener('click', () => {
  const input = document.getElementById('new-card');
  const title = input.value.trim();
  if (!title) { input.placeholder = 'Type a task first'; input.focus(); return; }
  makeCard(title, '', 0);
  input.value = '';
});
document.getElementById('new-card').addEventListener('keydown', event => {
  if (event.key === 'Enter') document.getElementById('add-card').click();
});
