"""Corpus apps that keep lists: todo lists, markdown-ish notes, a weekly habit tracker.

Items are added, ticked and removed in place (never re-rendered wholesale): the interaction probe marks
controls before it uses them, and a re-render would replace the marked elements.
"""

from __future__ import annotations

import random

from corpusgen.kit import App, Copy, count, does, fill, fill_text, js_value, make_app, pick, present, says

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


def _left(n: int) -> str:
    return f"{n} item left" if n == 1 else f"{n} items left"


def todo_app(rng: random.Random, colors: dict) -> App:
    """A todo list: add (button or Enter), tick, delete, filter and an items-left counter.

    "All" is the active filter and the last filter button, so each filter click the probe makes changes
    the view."""
    items = [{"text": t, "done": rng.random() < 0.3} for t in pick(rng, _CHORES, rng.randint(3, 6))]
    new = pick(rng, [c for c in _CHORES if c not in [i["text"] for i in items]])
    clear = rng.random() < 0.5
    body = fill("lists/todo.html", placeholder=pick(rng, ["What needs doing?", "Add a task", "New item…"]),
                clear='<button id="clear" class="ghost">Clear done</button>' if clear else "")  # fmt: skip
    css = fill("lists/todo.css", pad=rng.randint(6, 10), **colors)
    js = fill("lists/todo.js", items=js_value(items))
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


def notes_app(rng: random.Random, colors: dict) -> App:
    """Markdown-ish notes: a note list, an editor with a live preview (#, **, *, -, `code`) and a word count.

    The editor opens on the last note, so a click on the first one in the list changes the page."""
    notes = []
    for title, text in pick(rng, _NOTE_TOPICS, rng.randint(2, 4)):
        words = {k: pick(rng, v) for k, v in _NOTE_WORDS.items()}
        notes.append({"title": title, "text": fill_text(text, n=rng.randint(3, 40), **words)})
    heading = pick(rng, ["Launch checklist", "Weekend", "Ideas", "Standup"])
    word = pick(rng, ["bold", "strong", "loud"])
    typed = [{"fill": "#editor", "value": f"# {heading}\n**{word}** move\n- first item"}]
    css = fill("lists/notes.css", side=rng.choice([150, 180, 200]), gap=rng.randint(10, 20), **colors)
    js = fill("lists/notes.js", notes=js_value(notes))
    checklist = [
        present("Has an editor", "textarea#editor"),
        count("Lists the saved notes", "#list button", len(notes)),
        does("A '#' line becomes a heading in the preview", typed, "#preview h1", heading),
        does("**text** becomes bold", typed, "#preview strong", word),
        does("Clicking a note opens it", [{"click": "#list button"}], "#list .active", notes[0]["title"]),
        present("Has a save button", "#save"),
    ]
    return make_app(rng, "markdown_notes", _NOTES, (fill("lists/notes.html"), css, js), checklist)


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


def habit_app(rng: random.Random, colors: dict) -> App:
    """A weekly habit grid: toggle days, per-habit and total counts, add a habit."""
    names = pick(rng, _HABITS, rng.randint(3, 5))
    ticks = [[rng.random() < 0.45 for _ in range(7)] for _ in names]
    days = "".join(f"<th>{d}</th>" for d in pick(rng, _WEEKS))
    body = fill("lists/habit.html", days=days, example=pick(rng, _HABITS))
    css = fill(
        "lists/habit.css",
        pad=rng.randint(3, 8),
        size=rng.choice([26, 30, 34]),
        r=pick(rng, ["50%", "6px", "0"]),
        **colors,
    )
    habits = [{"name": n, "days": t} for n, t in zip(names, ticks, strict=True)]
    js = fill("lists/habit.js", habits=js_value(habits), mark=js_value(pick(rng, ["✓", "●", "✔", "★"])))
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
