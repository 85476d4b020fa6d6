const notes = {{notes}};
let current = notes.length - 1;
const list = document.getElementById('list');
const editor = document.getElementById('editor');

function escapeHtml(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function inline(text) {
  return escapeHtml(text).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/\*(.+?)\*/g, '<em>$1</em>').replace(/`(.+?)`/g, '<code>$1</code>');
}

function render(text) {
  let html = '', inList = false;
  for (const line of text.split('\n')) {
    const item = line.startsWith('- ');
    if (inList && !item) { html += '</ul>'; inList = false; }
    if (item && !inList) { html += '<ul>'; inList = true; }
    const level = (line.match(/^(#{1,3}) /) || [''])[0].trim().length;
    if (level) html += '<h' + level + '>' + inline(line.slice(level + 1)) + '</h' + level + '>';
    else if (item) html += '<li>' + inline(line.slice(2)) + '</li>';
    else if (line.trim()) html += '<p>' + inline(line) + '</p>';
  }
  document.getElementById('preview').innerHTML = html + (inList ? '</ul>' : '');
  const words = text.trim() ? text.trim().split(/\s+/).length : 0;
  document.getElementById('count').textContent = words + (words === 1 ? ' word' : ' words');
}

function addButton(note) {
  const button = document.createElement('button');
  button.textContent = note.title;
  button.addEventListener('click', () => open(notes.indexOf(note)));
  const item = document.createElement('li');
  item.append(button);
  list.append(item);
  note.button = button;
}

function open(index) {
  current = index;
  editor.value = index >= 0 ? notes[index].text : '';
  notes.forEach((note, i) => note.button.classList.toggle('active', i === index));
  render(editor.value);
}

editor.addEventListener('input', () => render(editor.value));
document.getElementById('save').addEventListener('click', () => {
  const title = editor.value.split('\n')[0].replace(/^#+ /, '').slice(0, 24) || 'Untitled';
  if (current < 0) {
    notes.push({ title, text: editor.value });
    addButton(notes[notes.length - 1]);
    current = notes.length - 1;
  }
  notes[current].text = editor.value;
  notes[current].title = notes[current].button.textContent = title;
  open(current);
});
document.getElementById('new').addEventListener('click', () => { open(-1); editor.focus(); });
document.getElementById('delete').addEventListener('click', () => {
  if (current < 0) {
    editor.value = '';
    render('');
    document.getElementById('count').textContent = 'Nothing to delete';
    return;
  }
  notes[current].button.parentElement.remove();
  notes.splice(current, 1);
  open(notes.length ? 0 : -1);
});
notes.forEach(addButton);
open(current);
