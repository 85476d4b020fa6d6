"""Corpus apps about time: pomodoro and countdown timers, a stopwatch with laps.

Checklist items never depend on how long a step took: they look at labels and at displays right after a
reset, which are the same however slow the checker's browser is.
"""

from __future__ import annotations

import random

from corpusgen.kit import App, Copy, count, does, fill, js_value, make_app, pick, present, says

_POMODORO = Copy(
    titles=["Pomodoro", "Focus Timer", "Tomato Clock", "Deep Work"],
    nouns=["a pomodoro timer", "a pomodoro focus timer", "a work/break pomodoro clock"],
    features=["preset durations", "a progress {progress}", "start/pause/reset", "{extra}"],
    taglines=["Pick a mode to start the clock.", "One thing at a time.", "Time it right."],
    tips=["Space starts and pauses.", "A mode button restarts that mode.", "Finished sessions are counted."],
)
_COUNTDOWN = Copy(
    titles=["{Kind} Timer", "Countdown", "Timer"],
    nouns=["a {kind} countdown timer", "a countdown timer for {kind} with presets"],
    features=_POMODORO.features,
    taglines=_POMODORO.taglines,
    tips=_POMODORO.tips,
)
_POMODORO_NAMES = [
    ("Focus", "Short break", "Long break"),
    ("Work", "Break", "Long rest"),
    ("Deep work", "Pause", "Recharge"),
]
_COUNTDOWN_KINDS = ["tea", "egg", "presentation", "workout", "cooking"]


def _clock(seconds: int) -> str:
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def _modes(rng: random.Random) -> tuple[str, list[tuple[str, int]]]:
    """("pomodoro", focus/short/long) or (what the countdown is for, 3-5 preset lengths)."""
    if rng.random() < 0.5:
        focus, short, long = rng.choice([20, 25, 30, 45, 50]), rng.choice([5, 10]), rng.choice([15, 20, 30])
        return "pomodoro", list(zip(pick(rng, _POMODORO_NAMES), [focus * 60, short * 60, long * 60], strict=True))
    minutes = sorted(pick(rng, [1, 2, 3, 4, 5, 7, 10, 12, 15], rng.randint(3, 4)))
    extra = [("90 s", 90)] if rng.random() < 0.3 else []
    return pick(rng, _COUNTDOWN_KINDS), extra + [(f"{m} min", m * 60) for m in minutes]


def timer_app(rng: random.Random, colors: dict) -> App:
    """Pomodoro or countdown timer: mode buttons load and start a duration; start/pause, reset, progress.

    A mode button starts its countdown, so clicking the mode already shown still does something."""
    kind, modes = _modes(rng)
    ring, in_title = rng.random() < 0.5, rng.random() < 0.5
    buttons = "".join(f'<button class="mode" data-i="{i}">{name}</button>' for i, (name, _) in enumerate(modes))
    body = fill(
        "clocks/timer.html",
        buttons=buttons,
        mode=modes[0][0],
        progress=fill("clocks/ring.html" if ring else "clocks/bar.html"),
        time=_clock(modes[0][1]),
    )
    css = fill("clocks/timer.css", fs=rng.choice([3, 3.5, 4, 4.5]), ring=rng.choice([140, 160, 200]), **colors)
    js = fill("clocks/timer.js", modes=js_value(modes), ring=js_value(ring), title=js_value(in_title))
    last = modes[-1][0]
    checklist = [
        count("Has a button per mode", ".mode", len(modes)),
        present("Shows the remaining time", "#time"),
        does("Start switches to Pause", [{"click": "#start"}], "#start", "Pause"),
        does("Reset restores the full time", [{"click": "#start"}, {"click": "#reset"}], "#time", _clock(modes[0][1])),
        does(f"The {last} button selects that mode", [{"click": f'.mode[data-i="{len(modes) - 1}"]'}], "#mode", last),
        present("Shows progress", "#arc" if ring else "#fill"),
    ]
    copy = _POMODORO if kind == "pomodoro" else _COUNTDOWN
    extra = "the time in the tab title" if in_title else "a completed-sessions counter"
    return make_app(rng, "timer", copy, (body, css, js), checklist, kind=kind, Kind=kind.title(),
                    progress="ring" if ring else "bar", extra=extra)  # fmt: skip


_STOPWATCH = Copy(
    titles=["Stopwatch", "Lap Timer", "Split Timer", "{Purpose} Stopwatch"],
    nouns=["a stopwatch for {purpose}", "a stopwatch with laps", "a lap timer"],
    features=["lap times", "best and worst lap highlighting", "a reset button", "{extra}"],
    taglines=["Every second counts.", "Split it, lap it.", "Made for {purpose}."],
    tips=["Lap records a split.", "The fastest lap turns green.", "Reset clears the table."],
)
_PURPOSES = ["running", "swimming", "speedcubing", "cooking", "presentations", "study sprints"]


def stopwatch_app(rng: random.Random, colors: dict) -> App:
    """A stopwatch with start/stop, laps (with the best and worst lap marked) and reset."""
    centis = rng.random() < 0.6
    zero = "00:00.00" if centis else "00:00"
    purpose = pick(rng, _PURPOSES)
    css = fill("clocks/stopwatch.css", align=pick(rng, ["center", "left"]), fs=rng.choice([3, 3.6, 4.2]))
    js = fill("clocks/stopwatch.js", centis=js_value(centis), zero=js_value(zero))
    checklist = [
        present("Shows the elapsed time", "#time"),
        does("Start switches to Stop", [{"click": "#toggle"}], "#toggle", "Stop"),
        does("Lap records a lap", [{"click": "#toggle"}, {"click": "#lap"}], "#lap-count", "1"),
        does("Reset zeroes the clock", [{"click": "#toggle"}, {"click": "#reset"}], "#time", zero),
        says("Has a lap table", "Total"),
    ]
    extra = "hundredths of a second" if centis else "big readable digits"
    page = (fill("clocks/stopwatch.html", zero=zero), css, js)
    return make_app(
        rng, "stopwatch", _STOPWATCH, page, checklist, purpose=purpose, Purpose=purpose.title(), extra=extra
    )
