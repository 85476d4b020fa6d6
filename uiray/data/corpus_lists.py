"""Corpus apps that keep lists: todo lists, markdown-ish notes, a weekly habit tracker.

Items are added, ticked and removed in place (never re-rendered wholesale): the interaction probe marks
controls before it uses them, and a re-render would replace the marked elements.
"""

from __future__ import annotations

import random

from uiray.data.corpus_kit import App, Copy, count, does, fill, js_value, make_app, pick, present, says

_CHORES = ["Buy stamps", "Water the ferns", "Renew passport", "Back up photos", "Pay the electric bill",
           "Return library books", "Book a dentist visit", "Fix the bike light", "Call grandma", "Defrost the freezer",
           "Send the invoice", "Pick up dry cleaning", "Plan Sunday dinner", "Update the CV", "Order printer ink",
           "Walk the dog", "Clean the inbox", "Buy a birthday card", "Oil the door hinge",
           "Sort the recycling"]  # fmt: skip
_TODO = Copy(
    titles=["To-do List", "Today", "Tasks", "Get Things Done", "Checklist"],
    nouns=["a todo list app", "a to-do list with filters", "a simple task list"],
    features=["filters for active and done items", "an items-left counter", "delete buttons", "{extra}"],
    taglines=["One list, no fuss.", "Write it down, tick it off.", "Less to remember."],
    tips=["Press Enter to add.", "Click the box to finish a task.", "Filters hide the rest."],
)
_TODO_HTML = """<section class="panel">
<form id="add-form" class="row"><input id="new-todo" placeholder="{{placeholder}}" aria-label="New task">
<button id="add" type="submit">Add</button></form>
<ul id="list" class="todos"></ul>
<div class="row"><span id="left"></span>
<button class="filter ghost" data-filter="active">Active</button>
<button class="filter ghost" data-filter="done">Done</button>
<button class="filter ghost active" data-filter="all">All</button>{{clear}}</div>
</section>"""
_TODO_CSS = """.todos { list-style: none; padding: 0; }
.todos li { display: flex; gap: 10px; align-items: center; padding: {{pad}}px 0; border-bottom: 1px solid #8883; }
.todos li .text { flex: 1; }
.todos li.done .text { text-decoration: line-through; opacity: .6; }
.todos li.hidden { display: none; }
.todos .remove { background: transparent; color: {{accent}}; padding: 0 6px; }"""


def _left(n: int) -> str:
    return f"{n} item left" if n == 1 else f"{n} items left"


def todo_app(rng: random.Random, colors: dict) -> App:
    """A todo list: add (button or Enter), tick, delete, filter and an items-left counter.

    "All" is the active filter and the last filter button, so each filter click the probe makes changes
    the view."""
    items = [{"text": t, "done": rng.random() < 0.3} for t in pick(rng, _CHORES, rng.randint(3, 6))]
    new = pick(rng, [c for c in _CHORES if c not in [i["text"] for i in items]])
    clear = rng.random() < 0.5
    body = fill(_TODO_HTML, placeholder=pick(rng, ["What needs doing?", "Add a task", "New item…"]),
                clear='<button id="clear" class="ghost">Clear done</button>' if clear else "")  # fmt: skip
    css = fill(_TODO_CSS, pad=rng.randint(6, 10), **colors)
    js = fill(_TODO_JS, items=js_value(items))
    left = sum(not i["done"] for i in items)
    toggled = left + 1 if items[0]["done"] else left - 1
    typed = {"fill": "#new-todo", "value": new}
    checklist = [
        count("Lists the starting tasks", "#list li", len(items)),
        does("Adding a task appends it", [typed, {"click": "#add"}], "#list li:last-child .text", new),
        does("The counter counts open tasks", [typed, {"press": "#new-todo", "value": "Enter"}], "#left",
             _left(left + 1)),
        does("Ticking a task updates the counter", [{"click": "#list li:first-child input"}], "#left", _left(toggled)),
        count("Has filter buttons", ".filter", 3),
    ]  # fmt: skip
    extra = "a clear-completed button" if clear else "Enter to add"
    return make_app(rng, "todo_list", _TODO, (body, css, js), checklist, extra=extra)


_TODO_JS = """const list = document.getElementById('list');
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
refresh();"""


_NOTE_TOPICS = [
    ("Groceries", "- oat milk\n- {{a}}\n- coffee beans\n\n**Budget:** {{n}} dollars"),
    ("Meeting notes", "# Sync with {{b}}\nWe agreed to ship on *{{day}}*.\n- review the draft\n- send `notes.md`"),
    ("Book ideas", "# {{c}}\nA story about a lighthouse keeper.\n**Theme:** patience"),
    ("Trip plan", "## {{city}}\n- day 1: museum\n- day 2: hike\n*Pack light.*"),
    ("Recipe", "# {{a}} soup\n- 2 onions\n- {{n}} g of {{a}}\n**Simmer** for 20 minutes."),
    ("Workout", "## {{day}} routine\n- squats x{{n}}\n- plank 60 s\n*Stretch after.*"),
    ("Reading list", "- *Dune*\n- *The Hobbit*\n- `{{c}}`\n**Goal:** one book a month"),
    ("Project log", "# v{{n}} release\nFixed the **login** bug for {{b}}.\n- update docs"),
]
_NOTE_WORDS = {"a": ["pumpkin", "lentil", "tomato", "carrot", "mushroom"], "b": ["Priya", "Marco", "Lena", "Kofi"],
               "c": ["Salt and Stars", "Night Trains", "Paper Moons"], "day": ["Monday", "Thursday", "Friday"],
               "city": ["Lisbon", "Kyoto", "Oaxaca", "Tallinn"]}  # fmt: skip
_NOTES = Copy(
    titles=["Notes", "Markdown Notes", "Scratchpad", "Quick Notes"],
    nouns=["a markdown notes app", "a note-taking app with a live preview", "a tiny markdown editor"],
    features=["a live markdown preview", "a word count", "a list of notes", "save and delete buttons"],
    taglines=["Write in markdown, see it live.", "Your thoughts, formatted.", "Jot it down."],
    tips=["# makes a heading.", "Wrap words in ** for bold.", "Start a line with - for a list."],
)
_NOTES_HTML = """<div class="notes">
<nav class="panel"><h3>Notes</h3><ul id="list"></ul><button id="new" class="ghost">+ New note</button></nav>
<section class="panel">
<textarea id="editor" rows="8" aria-label="Note text"></textarea>
<div class="row"><button id="save">Save</button><button id="delete" class="ghost">Delete</button>
<span id="count" class="muted"></span></div>
<article id="preview" class="preview"></article>
</section>
</div>"""
_NOTES_CSS = """.notes { display: grid; grid-template-columns: {{side}}px 1fr; gap: {{gap}}px; }
#list { list-style: none; padding: 0; margin: 0 0 8px; }
#list button { width: 100%; text-align: left; margin-bottom: 4px; background: transparent; color: inherit; }
#list button.active { background: {{accent2}}; color: #fff; }
#editor { width: 100%; font-family: ui-monospace, monospace; }
.preview { border-top: 1px solid #8884; margin-top: 12px; }
.preview code { background: #8882; padding: 0 4px; border-radius: 4px; }"""


def notes_app(rng: random.Random, colors: dict) -> App:
    """Markdown-ish notes: a note list, an editor with a live preview (#, **, *, -, `code`) and a word count.

    The editor opens on the last note, so a click on the first one in the list changes the page."""
    notes = []
    for title, text in pick(rng, _NOTE_TOPICS, rng.randint(2, 4)):
        words = {k: pick(rng, v) for k, v in _NOTE_WORDS.items()}
        notes.append({"title": title, "text": fill(text, n=rng.randint(3, 40), **words)})
    heading = pick(rng, ["Launch checklist", "Weekend", "Ideas", "Standup"])
    word = pick(rng, ["bold", "strong", "loud"])
    typed = [{"fill": "#editor", "value": f"# {heading}\n**{word}** move\n- first item"}]
    css = fill(_NOTES_CSS, side=rng.choice([150, 180, 200]), gap=rng.randint(10, 20), **colors)
    js = fill(_NOTES_JS, notes=js_value(notes))
    checklist = [
        present("Has an editor", "textarea#editor"),
        count("Lists the saved notes", "#list button", len(notes)),
        does("A '#' line becomes a heading in the preview", typed, "#preview h1", heading),
        does("**text** becomes bold", typed, "#preview strong", word),
        does("Clicking a note opens it", [{"click": "#list button"}], "#list .active", notes[0]["title"]),
        present("Has a save button", "#save"),
    ]
    return make_app(rng, "markdown_notes", _NOTES, (_NOTES_HTML, css, js), checklist)


_NOTES_JS = """const notes = {{notes}};
let current = notes.length - 1;
const list = document.getElementById('list');
const editor = document.getElementById('editor');

function escapeHtml(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function inline(text) {
  return escapeHtml(text).replace(/\\*\\*(.+?)\\*\\*/g, '<strong>$1</strong>')
    .replace(/\\*(.+?)\\*/g, '<em>$1</em>').replace(/`(.+?)`/g, '<code>$1</code>');
}

function render(text) {
  let html = '', inList = false;
  for (const line of text.split('\\n')) {
    const item = line.startsWith('- ');
    if (inList && !item) { html += '</ul>'; inList = false; }
    if (item && !inList) { html += '<ul>'; inList = true; }
    const level = (line.match(/^(#{1,3}) /) || [''])[0].trim().length;
    if (level) html += '<h' + level + '>' + inline(line.slice(level + 1)) + '</h' + level + '>';
    else if (item) html += '<li>' + inline(line.slice(2)) + '</li>';
    else if (line.trim()) html += '<p>' + inline(line) + '</p>';
  }
  document.getElementById('preview').innerHTML = html + (inList ? '</ul>' : '');
  const words = text.trim() ? text.trim().split(/\\s+/).length : 0;
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
  const title = editor.value.split('\\n')[0].replace(/^#+ /, '').slice(0, 24) || 'Untitled';
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
open(current);"""


_HABITS = ["Drink water", "Read 20 pages", "Walk 8k steps", "Meditate", "No sugar", "Practice guitar", "Stretch",
           "Journal", "Learn Spanish", "Sleep by 11", "Cook at home", "Call a friend", "Floss", "No phone in bed",
           "Inbox zero", "Draw something", "Water the plants", "Take vitamins"]  # fmt: skip
_WEEKS = [["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
          ["M", "T", "W", "T", "F", "S", "S"]]  # fmt: skip
_HABIT = Copy(
    titles=["Habit Tracker", "Streaks", "Daily Habits", "Week Grid"],
    nouns=["a weekly habit tracker", "a habit tracker grid", "a simple streak tracker"],
    features=["per-habit totals", "a weekly summary", "an add-habit input", "clickable day cells"],
    taglines=["Small steps, every day.", "Tick a day when you did it.", "Build streaks."],
    tips=["Click a day to tick it.", "Add as many habits as you like.", "Totals update live."],
)
_HABIT_HTML = """<section class="panel">
<table class="habits"><thead><tr><th>Habit</th>{{days}}<th>Done</th></tr></thead>
<tbody id="habits"></tbody></table>
<p>This week: <b id="total"></b></p>
<div class="row"><input id="new-habit" placeholder="New habit, e.g. {{example}}" aria-label="New habit">
<button id="add">Add habit</button></div>
</section>"""
_HABIT_CSS = """.habits { width: 100%; border-collapse: collapse; }
.habits th, .habits td { padding: {{pad}}px; text-align: center; }
.habits .name { text-align: left; }
.day { width: {{size}}px; height: {{size}}px; padding: 0; background: #8882; color: transparent; border-radius: {{r}}; }
.day[aria-pressed="true"] { background: {{accent}}; color: #fff; }"""


def habit_app(rng: random.Random, colors: dict) -> App:
    """A weekly habit grid: toggle days, per-habit and total counts, add a habit."""
    names = pick(rng, _HABITS, rng.randint(3, 5))
    ticks = [[rng.random() < 0.45 for _ in range(7)] for _ in names]
    days = "".join(f"<th>{d}</th>" for d in pick(rng, _WEEKS))
    body = fill(_HABIT_HTML, days=days, example=pick(rng, _HABITS))
    css = fill(_HABIT_CSS, pad=rng.randint(3, 8), size=rng.choice([26, 30, 34]), r=pick(rng, ["50%", "6px", "0"]),
               **colors)  # fmt: skip
    habits = [{"name": n, "days": t} for n, t in zip(names, ticks, strict=True)]
    js = fill(_HABIT_JS, habits=js_value(habits), mark=js_value(pick(rng, ["✓", "●", "✔", "★"])))
    after = sum(ticks[0]) + (-1 if ticks[0][0] else 1)
    new = pick(rng, [h for h in _HABITS if h not in names])
    added = [{"fill": "#new-habit", "value": new}, {"click": "#add"}]
    checklist = [
        count("Shows a row per habit", "#habits tr", len(names)),
        count("Has seven day toggles per habit", ".day", 7 * len(names)),
        does("Toggling a day updates the habit's count", [{"click": '[data-h="0"][data-d="0"]'}], "#count-0",
             f"{after}/7"),
        does("New habits can be added", added, "#habits tr:last-child .name", new),
        says("Shows the week's total", f"{sum(map(sum, ticks))} check-ins"),
    ]  # fmt: skip
    return make_app(rng, "habit_tracker", _HABIT, (body, css, js), checklist)


_HABIT_JS = """const habits = {{habits}};
const tbody = document.getElementById('habits');

function refresh() {
  habits.forEach((habit, h) => {
    document.getElementById('count-' + h).textContent = habit.days.filter(Boolean).length + '/7';
  });
  const total = habits.reduce((sum, habit) => sum + habit.days.filter(Boolean).length, 0);
  document.getElementById('total').textContent = total + ' check-ins';
}

function addRow(habit, h) {
  const row = tbody.insertRow();
  const name = document.createElement('th');
  name.className = 'name';
  name.textContent = habit.name;
  row.append(name);
  habit.days.forEach((on, d) => {
    const button = document.createElement('button');
    button.className = 'day';
    button.dataset.h = h;
    button.dataset.d = d;
    button.textContent = {{mark}};
    button.setAttribute('aria-pressed', String(on));
    button.setAttribute('aria-label', habit.name + ' day ' + (d + 1));
    button.addEventListener('click', () => {
      habit.days[d] = !habit.days[d];
      button.setAttribute('aria-pressed', String(habit.days[d]));
      refresh();
    });
    row.insertCell().append(button);
  });
  const countCell = row.insertCell();
  countCell.id = 'count-' + h;
}

document.getElementById('add').addEventListener('click', () => {
  const input = document.getElementById('new-habit');
  const name = input.value.trim() || 'New habit ' + (habits.length + 1);
  habits.push({ name, days: [false, false, false, false, false, false, false] });
  addRow(habits[habits.length - 1], habits.length - 1);
  input.value = '';
  refresh();
});
habits.forEach(addRow);
refresh();"""
