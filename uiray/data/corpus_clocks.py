"""Corpus apps about time: pomodoro and countdown timers, a stopwatch with laps.

Checklist items never depend on how long a step took: they look at labels and at displays right after a
reset, which are the same however slow the checker's browser is.
"""

from __future__ import annotations

import random

from uiray.data.corpus_kit import App, Copy, count, does, fill, js_value, make_app, pick, present, says

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
_TIMER_HTML = """<section class="panel timer">
<div class="row modes">{{buttons}}</div>
<p id="mode" class="muted">{{mode}}</p>
{{progress}}
<div id="time" class="time">{{time}}</div>
<div class="row"><button id="start">Start</button><button id="reset" class="ghost">Reset</button></div>
<p id="state" class="muted">Ready</p>
<p>Completed: <b id="done">0</b></p>
</section>"""
_RING = """<svg viewBox="0 0 120 120" class="ring"><circle cx="60" cy="60" r="52" class="track"/>
<circle cx="60" cy="60" r="52" id="arc" class="arc"/></svg>"""
_BAR = '<div class="bar"><div id="fill"></div></div>'
_TIMER_CSS = """.timer { text-align: center; }
.modes { justify-content: center; }
.time { font-size: {{fs}}rem; font-variant-numeric: tabular-nums; font-weight: 700; letter-spacing: .04em; }
.ring { width: {{ring}}px; height: {{ring}}px; transform: rotate(-90deg); }
.ring circle { fill: none; stroke-width: 8; }
.track { stroke: #8883; } .arc { stroke: {{accent}}; stroke-dasharray: 326.7; transition: stroke-dashoffset .3s; }
.bar { height: 10px; background: #8883; border-radius: 99px; overflow: hidden; }
#fill { height: 100%; width: 100%; background: {{accent}}; }"""
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
    body = fill(_TIMER_HTML, buttons=buttons, mode=modes[0][0], progress=_RING if ring else _BAR,
                time=_clock(modes[0][1]))  # fmt: skip
    css = fill(_TIMER_CSS, fs=rng.choice([3, 3.5, 4, 4.5]), ring=rng.choice([140, 160, 200]), **colors)
    js = fill(_TIMER_JS, modes=js_value(modes), ring=js_value(ring), title=js_value(in_title))
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


_TIMER_JS = """const modes = {{modes}};
const timeEl = document.getElementById('time');
const startBtn = document.getElementById('start');
const stateEl = document.getElementById('state');
let mode = 0, left = modes[0][1], ticker = null, done = 0;

function format(seconds) {
  return String(Math.floor(seconds / 60)).padStart(2, '0') + ':' + String(seconds % 60).padStart(2, '0');
}

function draw() {
  timeEl.textContent = format(left);
  const share = left / modes[mode][1];
  if ({{ring}}) document.getElementById('arc').style.strokeDashoffset = String(326.7 * (1 - share));
  else document.getElementById('fill').style.width = (share * 100).toFixed(1) + '%';
  if ({{title}}) document.title = format(left) + ' · ' + modes[mode][0];
}

function stop(message) {
  clearInterval(ticker);
  ticker = null;
  startBtn.textContent = 'Start';
  stateEl.textContent = message;
}

function start() {
  if (left === 0) left = modes[mode][1];
  ticker = setInterval(() => {
    left -= 1;
    if (left <= 0) {
      left = 0;
      document.getElementById('done').textContent = ++done;
      stop('Time is up! ' + modes[mode][0] + ' finished.');
    }
    draw();
  }, 1000);
  startBtn.textContent = 'Pause';
  stateEl.textContent = 'Running';
}

function selectMode(i) {
  if (ticker) stop('Switched');
  mode = i;
  left = modes[i][1];
  document.getElementById('mode').textContent = modes[i][0];
  document.querySelectorAll('.mode').forEach((b, j) => b.classList.toggle('active', j === i));
  draw();
  start();
}

startBtn.addEventListener('click', () => { if (ticker) stop('Paused at ' + format(left)); else start(); });
document.getElementById('reset').addEventListener('click', () => {
  stop('Ready');
  left = modes[mode][1];
  draw();
});
document.querySelectorAll('.mode').forEach((b, i) => b.addEventListener('click', () => selectMode(i)));
document.addEventListener('keydown', event => {
  if (event.code === 'Space' && event.target === document.body) { event.preventDefault(); startBtn.click(); }
});
draw();"""


_STOPWATCH = Copy(
    titles=["Stopwatch", "Lap Timer", "Split Timer", "{Purpose} Stopwatch"],
    nouns=["a stopwatch for {purpose}", "a stopwatch with laps", "a lap timer"],
    features=["lap times", "best and worst lap highlighting", "a reset button", "{extra}"],
    taglines=["Every second counts.", "Split it, lap it.", "Made for {purpose}."],
    tips=["Lap records a split.", "The fastest lap turns green.", "Reset clears the table."],
)
_STOPWATCH_HTML = """<section class="panel watch">
<div id="time" class="time">{{zero}}</div>
<div class="row"><button id="toggle">Start</button><button id="lap" class="ghost">Lap</button>
<button id="reset" class="ghost">Reset</button></div>
<p id="note" class="muted">Press Start to begin.</p>
<p>Laps: <b id="lap-count">0</b></p>
<table class="laps"><thead><tr><th>#</th><th>Lap</th><th>Total</th></tr></thead><tbody id="laps"></tbody></table>
</section>"""
_STOPWATCH_CSS = """.watch { text-align: {{align}}; }
.time { font-size: {{fs}}rem; font-family: ui-monospace, monospace; margin: 8px 0 16px; }
.laps { width: 100%; border-collapse: collapse; }
.laps td, .laps th { padding: 4px 8px; border-bottom: 1px solid #8883; text-align: left; }
.best { color: #16a34a; } .worst { color: #dc2626; }"""
_PURPOSES = ["running", "swimming", "speedcubing", "cooking", "presentations", "study sprints"]


def stopwatch_app(rng: random.Random, colors: dict) -> App:
    """A stopwatch with start/stop, laps (with the best and worst lap marked) and reset."""
    centis = rng.random() < 0.6
    zero = "00:00.00" if centis else "00:00"
    purpose = pick(rng, _PURPOSES)
    css = fill(_STOPWATCH_CSS, align=pick(rng, ["center", "left"]), fs=rng.choice([3, 3.6, 4.2]))
    js = fill(_WATCH_JS, centis=js_value(centis), zero=js_value(zero))
    checklist = [
        present("Shows the elapsed time", "#time"),
        does("Start switches to Stop", [{"click": "#toggle"}], "#toggle", "Stop"),
        does("Lap records a lap", [{"click": "#toggle"}, {"click": "#lap"}], "#lap-count", "1"),
        does("Reset zeroes the clock", [{"click": "#toggle"}, {"click": "#reset"}], "#time", zero),
        says("Has a lap table", "Total"),
    ]
    extra = "hundredths of a second" if centis else "big readable digits"
    page = (fill(_STOPWATCH_HTML, zero=zero), css, js)
    return make_app(
        rng, "stopwatch", _STOPWATCH, page, checklist, purpose=purpose, Purpose=purpose.title(), extra=extra
    )


_WATCH_JS = """const timeEl = document.getElementById('time');
const toggle = document.getElementById('toggle');
const note = document.getElementById('note');
let startedAt = 0, elapsed = 0, ticker = null, lastLap = 0;
const laps = [];

function format(ms) {
  const minutes = Math.floor(ms / 60000), seconds = Math.floor(ms / 1000) % 60;
  const text = String(minutes).padStart(2, '0') + ':' + String(seconds).padStart(2, '0');
  return {{centis}} ? text + '.' + String(Math.floor(ms / 10) % 100).padStart(2, '0') : text;
}

function now() { return ticker ? elapsed + performance.now() - startedAt : elapsed; }

toggle.addEventListener('click', () => {
  if (ticker) {
    elapsed = now(); clearInterval(ticker); ticker = null;
    toggle.textContent = 'Start'; note.textContent = 'Stopped at ' + format(elapsed);
  } else {
    startedAt = performance.now();
    ticker = setInterval(() => { timeEl.textContent = format(now()); }, 31);
    toggle.textContent = 'Stop'; note.textContent = 'Running';
  }
});

document.getElementById('lap').addEventListener('click', () => {
  if (!ticker) { note.textContent = 'Start the stopwatch to record laps.'; return; }
  const total = now();
  laps.push(total - lastLap);
  lastLap = total;
  const row = document.createElement('tr');
  [laps.length, format(laps[laps.length - 1]), format(total)].forEach(value => {
    const cell = document.createElement('td');
    cell.textContent = value;
    row.append(cell);
  });
  document.getElementById('laps').prepend(row);
  document.getElementById('lap-count').textContent = laps.length;
  const rows = Array.from(document.querySelectorAll('#laps tr')).reverse();
  const best = Math.min(...laps), worst = Math.max(...laps);
  rows.forEach((r, i) => {
    r.classList.toggle('best', laps.length > 1 && laps[i] === best);
    r.classList.toggle('worst', laps.length > 1 && laps[i] === worst);
  });
});

document.getElementById('reset').addEventListener('click', () => {
  clearInterval(ticker); ticker = null; elapsed = 0; lastLap = 0; laps.length = 0;
  timeEl.textContent = {{zero}}; toggle.textContent = 'Start';
  document.getElementById('laps').innerHTML = '';
  document.getElementById('lap-count').textContent = '0';
  note.textContent = 'Reset. Press Start to begin.';
});"""
