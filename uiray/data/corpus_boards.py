"""Corpus apps that manage data: canvas chart dashboards and kanban boards.

Lists are updated in place (nodes are moved or appended, never re-rendered wholesale): the interaction
probe marks controls before it uses them, and a re-render would replace the marked elements.
"""

from __future__ import annotations

import random

from uiray.data.corpus_kit import App, Copy, count, does, fill, js_value, make_app, pick, present, says

_METRICS = [
    ("Sales Overview", "Revenue", "$", "", (200, 2400)),
    ("Website Traffic", "Visitors", "", "", (300, 6000)),
    ("Energy Monitor", "Usage", "", " kWh", (6, 40)),
    ("Fitness Stats", "Steps", "", "", (2500, 14000)),
    ("Server Health", "Requests", "", "", (1200, 9000)),
    ("Coffee Shop", "Cups sold", "", "", (40, 320)),
    ("Support Desk", "Tickets", "", "", (5, 90)),
    ("Newsletter", "Sign-ups", "", "", (3, 150)),
    ("Solar Panel", "Output", "", " kWh", (2, 30)),
    ("Bakery Orders", "Orders", "", "", (10, 120)),
]
_RANGES = {
    "Week": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    "Month": ["W1", "W2", "W3", "W4"],
    "Quarter": ["Jan", "Feb", "Mar"],
    "Half year": ["Jan", "Feb", "Mar", "Apr", "May", "Jun"],
    "Year": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "Today": ["6h", "9h", "12h", "15h", "18h", "21h"],
}

_DASHBOARD = Copy(
    titles=["{title}"],
    nouns=[
        "a {title_lower} dashboard",
        "an analytics dashboard for {metric}",
        "a {metric} dashboard with a canvas chart",
    ],
    features=["a bar/line chart drawn on canvas", "KPI cards", "date range buttons", "a chart type toggle", "{extra}"],
    taglines=["Numbers at a glance.", "{Metric} by period.", "Live from sample data."],
    tips=["Switch ranges with the buttons.", "Toggle bars and lines.", "Peak marks the best period."],
)
_DASHBOARD_HTML = """<section class="kpis">
<div class="panel kpi"><span class="muted">Total {{metric}}</span><strong id="kpi-total"></strong></div>
<div class="panel kpi"><span class="muted">Average</span><strong id="kpi-avg"></strong></div>
<div class="panel kpi"><span class="muted">Peak</span><strong id="kpi-peak"></strong></div>
</section>
<section class="panel">
<div class="row"><div class="row" id="ranges">{{buttons}}</div>
<button id="chart-type" class="ghost">Show as {{other}}</button></div>
<canvas id="chart" width="{{width}}" height="{{height}}"></canvas>
<p id="detail" class="muted">{{detail}}</p>
</section>"""
_DASHBOARD_CSS = """.kpis { display: grid; grid-template-columns: repeat(3, 1fr); gap: {{gap}}px; }
.kpi { display: flex; flex-direction: column; }
.kpi strong { font-size: {{fs}}rem; color: {{accent}}; }
#chart { width: 100%; height: auto; margin-top: 12px; }"""


def _series(rng: random.Random, n: int, low: int, high: int) -> list[int]:
    """A bounded random walk: plausible-looking metrics that differ from page to page."""
    value, out = rng.uniform(low, high), []
    for _ in range(n):
        value = min(high, max(low, value + rng.uniform(-0.25, 0.25) * (high - low)))
        out.append(round(value))
    return out


def dashboard_app(rng: random.Random, colors: dict) -> App:
    """KPI cards and a bar/line chart drawn with the canvas 2D API; range buttons switch the data set."""
    title, metric, prefix, suffix, (low, high) = pick(rng, _METRICS)
    ranges = pick(rng, _RANGES, rng.randint(2, 4))
    data = {r: {"labels": _RANGES[r], "values": _series(rng, len(_RANGES[r]), low, high)} for r in ranges}
    start = rng.randrange(1, len(ranges))  # not the first button: the probe clicks that one first
    kind = pick(rng, ["bar", "line"])
    clickable = rng.random() < 0.5
    buttons = "".join(
        f'<button class="range{" active" if i == start else ""}" data-range="{r}">{r}</button>'
        for i, r in enumerate(ranges)
    )
    detail = "Click a point on the chart for details." if clickable else f"{metric} per period."
    body = fill(_DASHBOARD_HTML, metric=metric.lower(), buttons=buttons, other="line" if kind == "bar" else "bars",
                width=rng.choice([560, 600, 640]), height=rng.choice([240, 260, 300]), detail=detail)  # fmt: skip
    css = fill(_DASHBOARD_CSS, gap=rng.randint(8, 16), fs=rng.choice([1.4, 1.6, 1.9]), **colors)
    js = fill(_CHART_JS, data=js_value(data), start=js_value(ranges[start]), kind=js_value(kind),
              prefix=js_value(prefix), suffix=js_value(suffix), clickable=js_value(clickable), **colors)  # fmt: skip
    money = f"{prefix}{{:,}}{suffix}".format
    first = data[ranges[0]]["values"]
    switched = f"Show as {'bars' if kind == 'bar' else 'line'}"
    button = [{"click": f'.range[data-range="{ranges[0]}"]'}]
    checklist = [
        present("Draws the chart on a canvas", "canvas#chart"),
        count("Has KPI cards", ".kpi", 3),
        count("Has range buttons", ".range", len(ranges)),
        does(f"The {ranges[0]} button shows its total", button, "#kpi-total", money(sum(first))),
        does(f"{ranges[0]} peak is shown", button, "#kpi-peak", money(max(first))),
        does("The chart type can be switched", [{"click": "#chart-type"}], "#chart-type", switched),
    ]
    extra = "clickable chart points" if clickable else "axis labels"
    return make_app(rng, "chart_dashboard", _DASHBOARD, (body, css, js), checklist, features=3, title=title,
                    title_lower=title.lower(), metric=metric.lower(), Metric=metric, extra=extra)  # fmt: skip


_CHART_JS = """const data = {{data}};
let range = {{start}}, kind = {{kind}};
const canvas = document.getElementById('chart');
const ctx = canvas.getContext('2d');
const pad = { left: 48, right: 16, top: 16, bottom: 32 };

function money(n) {
  return {{prefix}} + String(Math.round(n)).replace(/\\B(?=(\\d{3})+(?!\\d))/g, ',') + {{suffix}};
}

function points() {
  const { labels, values } = data[range];
  const max = Math.max(...values) * 1.1;
  const w = (canvas.width - pad.left - pad.right) / labels.length;
  return values.map((v, i) => ({ x: pad.left + w * (i + 0.5), y: canvas.height - pad.bottom -
    (v / max) * (canvas.height - pad.top - pad.bottom), w, v, label: labels[i] }));
}

function draw() {
  const { values } = data[range];
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.font = '12px sans-serif';
  ctx.fillStyle = '{{text}}';
  ctx.strokeStyle = '{{text}}33';
  for (let i = 0; i <= 4; i++) {
    const y = pad.top + (canvas.height - pad.top - pad.bottom) * i / 4;
    ctx.beginPath(); ctx.moveTo(pad.left, y); ctx.lineTo(canvas.width - pad.right, y); ctx.stroke();
    ctx.fillText(money(Math.max(...values) * 1.1 * (4 - i) / 4), 2, y + 4);
  }
  const pts = points();
  pts.forEach(p => ctx.fillText(p.label, p.x - ctx.measureText(p.label).width / 2, canvas.height - 10));
  if (kind === 'bar') {
    pts.forEach((p, i) => {
      ctx.fillStyle = i % 2 ? '{{accent}}' : '{{accent2}}';
      ctx.fillRect(p.x - p.w * 0.35, p.y, p.w * 0.7, canvas.height - pad.bottom - p.y);
    });
  } else {
    ctx.strokeStyle = '{{accent}}'; ctx.lineWidth = 3; ctx.beginPath();
    pts.forEach((p, i) => (i ? ctx.lineTo(p.x, p.y) : ctx.moveTo(p.x, p.y)));
    ctx.stroke(); ctx.lineWidth = 1;
    ctx.fillStyle = '{{accent2}}';
    pts.forEach(p => { ctx.beginPath(); ctx.arc(p.x, p.y, 4, 0, Math.PI * 2); ctx.fill(); });
  }
  const total = values.reduce((a, b) => a + b, 0);
  document.getElementById('kpi-total').textContent = money(total);
  document.getElementById('kpi-avg').textContent = money(total / values.length);
  document.getElementById('kpi-peak').textContent = money(Math.max(...values));
}

document.querySelectorAll('.range').forEach(button => button.addEventListener('click', () => {
  range = button.dataset.range;
  document.querySelectorAll('.range').forEach(b => b.classList.toggle('active', b === button));
  draw();
}));
document.getElementById('chart-type').addEventListener('click', event => {
  event.target.textContent = 'Show as ' + (kind === 'bar' ? 'bars' : 'line');
  kind = kind === 'bar' ? 'line' : 'bar';
  draw();
});
if ({{clickable}}) canvas.addEventListener('click', event => {
  const box = canvas.getBoundingClientRect();
  const x = (event.clientX - box.left) * canvas.width / box.width;
  const nearest = points().reduce((a, b) => (Math.abs(b.x - x) < Math.abs(a.x - x) ? b : a));
  document.getElementById('detail').textContent = nearest.label + ': ' + money(nearest.v);
});
draw();"""


_VERBS = ["Write", "Fix", "Design", "Review", "Plan", "Test", "Update", "Draft", "Clean up", "Research", "Ship",
          "Refactor", "Book", "Order", "Call", "Prepare", "Sketch", "Migrate", "Measure", "Publish"]  # fmt: skip
_OBJECTS = ["the landing page", "login bug", "onboarding emails", "pricing copy", "Q3 roadmap", "unit tests",
            "team offsite", "API docs", "logo concepts", "database backup", "release notes", "user interviews",
            "newsletter", "budget sheet", "dark mode", "search filters", "invoice template", "demo video",
            "help centre", "mobile layout", "checkout flow", "analytics events"]  # fmt: skip
_COLUMNS = [["To do", "Doing", "Done"], ["Backlog", "In progress", "Review", "Shipped"],
            ["Ideas", "Drafting", "Published"], ["Next", "Now", "Later"], ["Open", "Blocked", "Closed"]]  # fmt: skip
_TAGS = [["bug", "feature", "chore"], ["design", "dev", "ops"], ["urgent", "later"], []]
_KANBAN = Copy(
    titles=["Kanban Board", "Project Board", "Task Board", "Sprint Board"],
    nouns=["a kanban board", "a simple Trello-like board", "a task board with columns"],
    features=["add-card input", "move buttons on each card", "column counters", "{extra}"],
    taglines=["Move work from left to right.", "What's next?", "Plan, do, done."],
    tips=["Arrows move a card.", "✕ removes a card.", "New cards land in the first column."],
)
_KANBAN_HTML = """<div class="row add"><input id="new-card" placeholder="New task…" aria-label="New task">
<button id="add-card">Add card</button></div>
<div class="board" id="board"></div>"""
_KANBAN_CSS = """.board { display: grid; grid-template-columns: repeat({{n}}, 1fr); gap: {{gap}}px; margin-top: 12px; }
.column { background: {{accent}}14; border-radius: {{r}}px; padding: 10px; min-height: 160px; }
.column h3 { margin: 0 0 8px; font-size: 1rem; }
.card { background: {{surface}}; border-radius: {{r}}px; padding: 8px; margin-bottom: 8px;
  box-shadow: 0 1px 2px #0002; }
.card .tag { font-size: .75rem; padding: 1px 6px; border-radius: 99px; background: {{accent2}}; color: #fff; }
.card button { padding: 2px 8px; margin-right: 4px; }
.card button:disabled { opacity: .3; }"""


def _tasks(rng: random.Random, n: int) -> list[str]:
    return [f"{v} {o}" for v, o in zip(pick(rng, _VERBS, n), pick(rng, _OBJECTS, n), strict=True)]


def kanban_app(rng: random.Random, colors: dict) -> App:
    """A kanban board: add cards, move them between columns with arrow buttons, per-column counts."""
    columns = pick(rng, _COLUMNS)
    tags = pick(rng, _TAGS)
    # The first card starts in the first column, so "move it right" has a known outcome.
    cards = [{"title": t, "col": rng.randrange(len(columns)) if i else 0, "tag": pick(rng, tags) if tags else ""}
             for i, t in enumerate(_tasks(rng, rng.randint(4, 7)))]  # fmt: skip
    new = f"{pick(rng, _VERBS)} {pick(rng, _OBJECTS)}"
    css = fill(_KANBAN_CSS, n=len(columns), gap=rng.randint(8, 16), r=rng.choice([4, 8, 12]), **colors)
    js = fill(_KANBAN_JS, columns=js_value(columns), cards=js_value(cards))
    moved = sum(c["col"] == 1 for c in cards) + 1
    add = [{"fill": "#new-card", "value": new}, {"click": "#add-card"}]
    checklist = [
        count(f"Has {len(columns)} columns", ".column", len(columns)),
        count("Shows the starting cards", ".card", len(cards)),
        does("New cards go into the first column", add, "#col-0 .card:last-child .title", new),
        does("Cards move to the next column", [{"click": ".card .next"}], "#count-1", str(moved)),
        says(f"Has a {columns[-1]} column", columns[-1]),
    ]
    extra = "colour tags" if tags else "a delete button per card"
    return make_app(rng, "kanban_board", _KANBAN, (_KANBAN_HTML, css, js), checklist, extra=extra)


_KANBAN_JS = """const columns = {{columns}};
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
});"""
