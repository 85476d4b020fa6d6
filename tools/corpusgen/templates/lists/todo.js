const list = document.getElementById('list');
let filter = 'all';

function refresh() {
  const items = Array.from(list.children);
  const left = items.filter(li => !li.classList.contains('done')).length;
  document.getElementById('left').textContent = left + (left === 1 ? ' item left' : ' items left');
  items.forEach(li => {
    const done = li.classList.contains('done');
    li.classList.toggle('hidden', (filter === 'active' && done) || (filter === 'done' && !done));
  });
}

function addItem(text, done) {
  const li = document.createElement('li');
  li.classList.toggle('done', done);
  const box = document.createElement('input');
  box.type = 'checkbox'; box.checked = done; box.setAttribute('aria-label', 'Done');
  box.addEventListener('change', () => { li.classList.toggle('done', box.checked); refresh(); });
  const label = document.createElement('span');
  label.className = 'text'; label.textContent = text;
  const remove = document.createElement('button');
  remove.className = 'remove'; remove.textContent = '✕'; remove.setAttribute('aria-label', 'Delete ' + text);
  remove.addEventListener('click', () => { li.remove(); refresh(); });
  li.append(box, label, remove);
  list.append(li);
}

document.getElementById('add-form').addEventListener('submit', event => {
  event.preventDefault();
  const input = document.getElementById('new-todo');
  const text = input.value.trim();
  if (!text) { input.placeholder = 'Type something first'; return; }
  addItem(text, false);
  input.value = '';
  refresh();
});
document.querySelectorAll('.filter').forEach(button => button.addEventListener('click', () => {
  filter = button.dataset.filter;
  document.querySelectorAll('.filter').forEach(b => b.classList.toggle('active', b === button));
  refresh();
}));
const clearButton = document.getElementById('clear');
if (clearButton) clearButton.addEventListener('click', () => {
  const done = list.querySelectorAll('li.done');
  done.forEach(li => li.remove());
  clearButton.textContent = done.length ? 'Cleared ' + done.length : 'Nothing to clear';
  refresh();
});
{{items}}.forEach(item => addItem(item.text, item.done));
refresh();
