"""Corpus apps that manage data: canvas chart dashboards and kanban boards.

Lists are updated in place (nodes are moved or appended, never re-rendered wholesale): the interaction
probe marks controls before it uses them, and a re-render would replace the marked elements.
"""

from __future__ import annotations

import random

from corpusgen.kit import App, Copy, count, does, fill, js_value, make_app, pick, present, says

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
    body = fill(
        "boards/dashboard.html",
        metric=metric.lower(),
        buttons=buttons,
        other="line" if kind == "bar" else "bars",
        width=rng.choice([560, 600, 640]),
        height=rng.choice([240, 260, 300]),
        detail=detail,
    )
    css = fill("boards/dashboard.css", gap=rng.randint(8, 16), fs=rng.choice([1.4, 1.6, 1.9]), **colors)
    js = fill("boards/dashboard.js", data=js_value(data), start=js_value(ranges[start]), kind=js_value(kind),
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
    css = fill("boards/kanban.css", n=len(columns), gap=rng.randint(8, 16), r=rng.choice([4, 8, 12]), **colors)
    js = fill("boards/kanban.js", columns=js_value(columns), cards=js_value(cards))
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
    return make_app(rng, "kanban_board", _KANBAN, (fill("boards/kanban.html"), css, js), checklist, extra=extra)
