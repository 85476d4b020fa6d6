"""Corpus apps that are tools: calculators, unit converters, colour pickers.

Each generator takes a seeded `random.Random` and the theme colours and returns an `App`. Controls are
built so that every one of them visibly does something when the interaction probe uses it (it types
"uiray 42" + Enter into inputs, clicks buttons and picks the last option of selects), and checklist
items are true of the page as generated.
"""

from __future__ import annotations

import random

from uiray.data.corpus_kit import App, Copy, count, does, fill, js_value, make_app, pick, present, says

_OPS = {"÷": "/", "×": "*", "−": "-", "+": "+"}
_KEY_ROWS = [["7", "8", "9", "÷"], ["4", "5", "6", "×"], ["1", "2", "3", "−"], ["0", ".", "=", "+"]]
# Clear comes after the digits: the probe presses keys in page order, and C on a fresh "0" changes nothing.
_EXTRA_KEYS = [["⌫", "C"], ["C", "±"], ["⌫", "%", "C"]]
_CALCULATOR = Copy(
    titles=["Calculator", "Quick Calc", "Pocket Calculator", "Calc"],
    nouns=["a calculator", "a pocket calculator", "a basic four-function calculator", "a calculator app"],
    features=["keyboard input", "a running expression line", "{extra}"],
    taglines=["Use the keypad or your keyboard.", "Simple maths, done right.", "No eval, no surprises."],
    tips=["Type numbers with your keyboard too.", "Press Escape to clear.", "Division by zero shows an error."],
)
_CALCULATOR_HTML = """<div class="calc panel">
<div class="screen"><div id="expr" class="muted">&nbsp;</div><div id="display">0</div></div>
<div class="keys">
{{keys}}
</div>
</div>"""
_HISTORY_HTML = '\n<div class="panel"><h3>History</h3><ol id="history"></ol></div>'
_CALCULATOR_CSS = """.calc { max-width: {{w}}px; }
.screen { text-align: right; padding: 12px; margin-bottom: 12px; border-radius: 8px; background: #0002; }
#display { font-size: {{fs}}rem; font-variant-numeric: tabular-nums; overflow-x: auto; }
.keys { display: grid; grid-template-columns: repeat(4, 1fr); gap: {{gap}}px; }
.key { font-size: 1.2rem; padding: 14px 0; }
.key.num { background: {{surface}}; color: {{text}}; outline: 1px solid #8883; }
.key.eq { background: {{accent2}}; }"""


def _key(key: str) -> str:
    kind = "op" if key in _OPS else "eq" if key == "=" else "num" if key in "0123456789." else "fn"
    return f'<button class="key {kind}" data-key="{key}">{key}</button>'


def calculator_app(rng: random.Random, colors: dict) -> App:
    """A keypad calculator: the expression line shows every key press, '=' evaluates without eval()."""
    extra = pick(rng, _EXTRA_KEYS)
    history = rng.random() < 0.6
    keys = "\n".join(_key(k) for k in [*(k for row in _KEY_ROWS for k in row), *extra])
    body = fill(_CALCULATOR_HTML, keys=keys) + (_HISTORY_HTML if history else "")
    css = fill(_CALCULATOR_CSS, w=rng.choice([300, 320, 340, 360]), fs=rng.choice([2, 2.2, 2.5]),
               gap=rng.randint(6, 12), **colors)  # fmt: skip
    js = fill(_CALC_JS, ops=js_value(_OPS), history=js_value(history))
    a, b = rng.randint(2, 9), rng.randint(2, 9)
    op_name, op = pick(rng, [("×", a * b), ("+", a + b), ("−", a - b)])
    press = [{"click": f'[data-key="{k}"]'} for k in (a, op_name, b, "=")]
    checklist = [
        present("Shows a display", "#display"),
        count("Has a full keypad", ".key", 16),
        does("Typing digits shows them on the display", [press[0], press[2]], "#display", f"{a}{b}"),
        does(f"{a} {op_name} {b} = {op}", press, "#display", str(op)),
        does("C clears the display", [press[0], {"click": '[data-key="C"]'}], "#display", "0"),
    ]
    if history:
        checklist.append(does("Results go to the history", press, "#history li", f"{a} {op_name} {b} = {op}"))
    feature = "a history of results" if history else "a backspace key" if "⌫" in extra else "a percent key"
    return make_app(rng, "calculator", _CALCULATOR, (body, css, js), checklist, extra=feature)


_CALC_JS = """const ops = {{ops}};
const display = document.getElementById('display');
const exprLine = document.getElementById('expr');
const historyList = document.getElementById('history');
let current = '0', stored = null, pending = null, fresh = false;

function apply(a, op, b) {
  if (op === '+') return a + b;
  if (op === '-') return a - b;
  if (op === '*') return a * b;
  return b === 0 ? NaN : a / b;
}

function show() {
  display.textContent = current;
  exprLine.textContent = pending ? stored + ' ' + pending + ' ' + (fresh ? '' : current) : '\\u00a0';
}

function press(key) {
  if (/[0-9]/.test(key)) { current = fresh || current === '0' ? key : current + key; fresh = false; }
  else if (key === '.') { if (fresh) { current = '0'; fresh = false; } if (!current.includes('.')) current += '.'; }
  else if (key in ops) {
    if (pending && !fresh) current = String(apply(+stored, ops[pending], +current));
    stored = current; pending = key; fresh = true;
  } else if (key === '=' && pending) {
    const result = apply(+stored, ops[pending], +current);
    const text = Number.isFinite(result) ? String(+result.toFixed(10)) : 'Error';
    if ({{history}}) {
      const item = document.createElement('li');
      item.textContent = stored + ' ' + pending + ' ' + current + ' = ' + text;
      historyList.prepend(item);
    }
    current = text === 'Error' ? '0' : text; pending = null; fresh = true;
    if (text === 'Error') { display.textContent = 'Error'; exprLine.textContent = 'Cannot divide by zero'; return; }
  } else if (key === '=') { exprLine.textContent = current + ' ='; fresh = true; return; }
  else if (key === 'C') { current = '0'; stored = null; pending = null; }
  else if (key === '⌫') current = current.length > 1 ? current.slice(0, -1) : '0';
  else if (key === '±') current = current.startsWith('-') ? current.slice(1) : '-' + current;
  else if (key === '%') current = String(+current / 100);
  show();
}

document.querySelectorAll('.key').forEach(button => {
  button.addEventListener('click', () => press(button.dataset.key));
});
document.addEventListener('keydown', event => {
  const map = { '/': '÷', '*': '×', '-': '−', '+': '+', Enter: '=', Escape: 'C', Backspace: '⌫' };
  const key = map[event.key] || event.key;
  if (/^[0-9.]$/.test(key) || key in ops || key === '=' || key === 'C') press(key);
});"""


_UNITS = {
    "Length": [("m", "Metres", 1, 0), ("km", "Kilometres", 1000, 0), ("cm", "Centimetres", 0.01, 0),
               ("mi", "Miles", 1609.344, 0), ("ft", "Feet", 0.3048, 0), ("in", "Inches", 0.0254, 0)],
    "Weight": [("kg", "Kilograms", 1, 0), ("g", "Grams", 0.001, 0), ("lb", "Pounds", 0.45359237, 0),
               ("oz", "Ounces", 0.028349523, 0), ("t", "Tonnes", 1000, 0)],
    "Temperature": [("C", "Celsius", 1, 273.15), ("F", "Fahrenheit", 5 / 9, 273.15 - 32 * 5 / 9),
                    ("K", "Kelvin", 1, 0)],
    "Data": [("MB", "Megabytes", 1e6, 0), ("GB", "Gigabytes", 1e9, 0), ("KB", "Kilobytes", 1e3, 0),
             ("MiB", "Mebibytes", 1048576, 0), ("TB", "Terabytes", 1e12, 0)],
    "Speed": [("km/h", "Kilometres per hour", 1 / 3.6, 0), ("mph", "Miles per hour", 0.44704, 0),
              ("m/s", "Metres per second", 1, 0), ("kn", "Knots", 0.514444, 0)],
    "Volume": [("l", "Litres", 1, 0), ("ml", "Millilitres", 0.001, 0), ("gal", "US gallons", 3.785411784, 0),
               ("cup", "Cups", 0.2365882365, 0), ("qt", "Quarts", 0.946352946, 0)],
}  # fmt: skip
_CONVERTER = Copy(
    titles=["Unit Converter", "{kind} Converter", "Convert Anything", "Converter"],
    nouns=["a {names} unit converter", "a converter for {names}", "a {names} conversion tool"],
    features=["a swap button", "live results as you type", "{extra}"],
    taglines=["Results update as you type.", "Quick conversions, no ads.", "Pick units and go."],
    tips=["Use the swap button to reverse.", "Decimals use a dot.", "Temperatures handle offsets."],
)
_CONVERTER_HTML = """<section class="panel converter">
{{tabs}}
<div class="row"><h2 id="kind-title">{{kind}}</h2>
<button id="swap" class="ghost" title="Swap units">⇄ Swap</button></div>
<div class="row">
<input id="value" inputmode="decimal" value="{{value}}" aria-label="Value">
<select id="from" aria-label="From unit"></select>
<span>→</span>
<select id="to" aria-label="To unit"></select>
</div>
<p id="result" class="result"></p>
</section>"""
_CONVERTER_CSS = """.converter h2 { margin: 0; flex: 1; }
.result { font-size: {{fs}}rem; font-weight: 600; color: {{accent}}; }
#value { width: {{w}}px; }"""


def _convert(value: float, src: tuple, dst: tuple) -> str:
    """The JS result text, computed the same way (4 decimals, trailing zeros dropped)."""
    out = round(((value * src[2] + src[3]) - dst[3]) / dst[2], 4)
    return str(int(out)) if out == int(out) else repr(out)


def converter_app(rng: random.Random, colors: dict) -> App:
    """A unit converter. The swap button comes before the unit selects: the probe picks the last option of
    both, and a swap of two equal units would change nothing."""
    kinds = pick(rng, _UNITS, rng.randint(1, 3))
    start = rng.randrange(1, len(kinds)) if len(kinds) > 1 else 0
    kind = kinds[start]
    tabs = "".join(f'<button class="kind{" active" if i == start else ""}" data-kind="{k}">{k}</button>'
                   for i, k in enumerate(kinds))  # fmt: skip
    body = fill(_CONVERTER_HTML, tabs=f'<nav class="row" id="kinds">{tabs}</nav>' if len(kinds) > 1 else "", kind=kind,
                value=rng.choice([1, 5, 10, 12, 100]))  # fmt: skip
    css = fill(_CONVERTER_CSS, fs=rng.choice([1.3, 1.5, 1.8]), w=rng.choice([90, 110, 140]), **colors)
    units = {k: [list(u) for u in _UNITS[k]] for k in kinds}
    js = fill(_CONVERTER_JS, units=js_value(units), start=js_value(kind))
    a, b = pick(rng, _UNITS[kind], 2)
    value = rng.choice([2, 3, 7, 15, 40, 250])
    steps = [{"fill": "#value", "value": str(value)}, {"select": "#from", "value": a[0]},
             {"select": "#to", "value": b[0]}]  # fmt: skip
    checklist = [
        present("Has a value input", "#value"),
        present("Has from and to unit selectors", "select#to"),
        does(f"Converts {value} {a[1].lower()} to {b[1].lower()}", steps, "#result",
             f"{value} {a[0]} = {_convert(value, a, b)} {b[0]}"),
        present("Has a swap button", "#swap"),
        says(f"Covers {kind.lower()}", kind),
    ]  # fmt: skip
    extra = "several unit families" if len(kinds) > 1 else "a big result line"
    names = " and ".join(k.lower() for k in kinds)
    return make_app(rng, "unit_converter", _CONVERTER, (body, css, js), checklist, kind=kind, names=names, extra=extra)


_CONVERTER_JS = """const units = {{units}};
let kind = {{start}};
const valueInput = document.getElementById('value');
const fromSelect = document.getElementById('from');
const toSelect = document.getElementById('to');
const result = document.getElementById('result');

function fillUnits() {
  const list = units[kind];
  fromSelect.innerHTML = toSelect.innerHTML = '';
  list.forEach(([symbol, name]) => {
    fromSelect.add(new Option(name + ' (' + symbol + ')', symbol));
    toSelect.add(new Option(name + ' (' + symbol + ')', symbol));
  });
  toSelect.selectedIndex = 1;
  document.getElementById('kind-title').textContent = kind;
}

function convert() {
  const list = units[kind];
  const src = list.find(u => u[0] === fromSelect.value);
  const dst = list.find(u => u[0] === toSelect.value);
  const value = parseFloat(valueInput.value.replace(',', '.'));
  if (Number.isNaN(value)) { result.textContent = 'Enter a number to convert.'; return; }
  const out = ((value * src[2] + src[3]) - dst[3]) / dst[2];
  result.textContent = value + ' ' + src[0] + ' = ' + (+out.toFixed(4)) + ' ' + dst[0];
}

document.querySelectorAll('.kind').forEach(button => button.addEventListener('click', () => {
  kind = button.dataset.kind;
  document.querySelectorAll('.kind').forEach(b => b.classList.toggle('active', b === button));
  fillUnits();
  convert();
}));
document.getElementById('swap').addEventListener('click', () => {
  const from = fromSelect.value;
  fromSelect.value = toSelect.value;
  toSelect.value = from;
  convert();
});
[valueInput, fromSelect, toSelect].forEach(el => el.addEventListener('input', convert));
fillUnits();
convert();"""


_COLOR = Copy(
    titles=["Colour Picker", "Color Mixer", "RGB Picker", "Swatch Studio"],
    nouns=["an RGB color picker", "a colour mixer with sliders", "a color picker tool"],
    features=["a hex code input", "preset swatches", "a saved palette", "{extra}"],
    taglines=["Mix a colour, copy its hex.", "Find the perfect shade.", "Red, green, blue: go."],
    tips=["Drag sliders for fine control.", "Hex codes accept 6 digits.", "Saved colours stay this session."],
)
_COLOR_HTML = """<section class="panel picker">
<div class="presets row">{{chips}}</div>
<div id="swatch" class="swatch"></div>
<div class="sliders">
{{sliders}}
</div>
<p>Hex: <strong id="hex">{{hex}}</strong>{{contrast}}</p>
<div class="row"><input id="hex-input" placeholder="#336699" maxlength="7" aria-label="Hex colour">
<button id="save">Save colour</button></div>
<p id="hint" class="muted">Type a hex code or drag the sliders.</p>
<ul id="saved" class="row"></ul>
</section>"""
_SLIDER_HTML = """<label>{{name}} <input type="range" id="{{c}}" min="0" max="255" value="{{v}}">
<output id="{{c}}-out">{{v}}</output></label>"""
_COLOR_CSS = """.swatch { height: {{h}}px; border-radius: {{r}}px; margin: 12px 0; border: 1px solid #0003; }
.sliders label { display: grid; grid-template-columns: 60px 1fr 40px; align-items: center; gap: 8px; }
.chip { width: 32px; height: 32px; padding: 0; border-radius: 50%; border: 2px solid #fff; }
#saved { list-style: none; padding: 0; }
#saved li { padding: 4px 8px; border-radius: 6px; color: #fff; text-shadow: 0 1px 2px #000; }"""


def _hex(rgb: tuple[int, ...], upper: bool) -> str:
    text = "#" + "".join(f"{v:02x}" for v in rgb)
    return text.upper() if upper else text


def _off_centre(rng: random.Random) -> int:
    """A channel value away from 128: a click on the middle of a slider whose thumb is already there (within
    about 15 of 128) grabs the thumb and changes nothing, so the probe would find a dead control."""
    return rng.choice([rng.randint(10, 100), rng.randint(160, 245)])


def color_app(rng: random.Random, colors: dict) -> App:
    """RGB sliders with a live swatch, hex readout, hex input, preset swatches and a saved palette."""
    upper, contrast = rng.random() < 0.5, rng.random() < 0.6
    start = tuple(_off_centre(rng) for _ in range(3))
    presets = [_hex(tuple(_off_centre(rng) for _ in range(3)), upper) for _ in range(rng.randint(2, 4))]
    sliders = "\n".join(fill(_SLIDER_HTML, name=name, c=c, v=v)
                        for c, name, v in zip("rgb", ["Red", "Green", "Blue"], start, strict=True))  # fmt: skip
    chips = "".join(f'<button class="chip" data-hex="{p}" style="background:{p}" aria-label="Preset {p}"></button>'
                    for p in presets)  # fmt: skip
    body = fill(_COLOR_HTML, chips=chips, sliders=sliders, hex=_hex(start, upper),
                contrast=' · <span id="contrast"></span>' if contrast else "")  # fmt: skip
    css = fill(_COLOR_CSS, h=rng.choice([90, 120, 160]), r=rng.choice([6, 12, 50]))
    js = fill(_COLOR_JS, upper=js_value(upper), contrast=js_value(contrast))
    target = tuple(rng.randint(0, 255) for _ in range(3))
    typed = [{"fill": "#hex-input", "value": _hex(target, rng.random() < 0.5)}]
    checklist = [
        count("Has three colour sliders", 'input[type="range"]', 3),
        present("Shows a colour swatch", "#swatch"),
        does("Typing a hex code updates the readout", typed, "#hex", _hex(target, upper)),
        does("Clicking a preset selects it", [{"click": ".chip"}], "#hex", presets[0]),
        present("Has a save button", "#save"),
    ]
    extra = "a contrast readout" if contrast else "a big live preview"
    return make_app(rng, "color_picker", _COLOR, (body, css, js), checklist, extra=extra)


_COLOR_JS = """const channels = ['r', 'g', 'b'].map(id => document.getElementById(id));
const hexOut = document.getElementById('hex');
const hexInput = document.getElementById('hex-input');
const hint = document.getElementById('hint');

function toHex(values) {
  const text = '#' + values.map(v => Number(v).toString(16).padStart(2, '0')).join('');
  return {{upper}} ? text.toUpperCase() : text;
}

function luminance(values) {
  const [r, g, b] = values.map(v => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function update() {
  const values = channels.map(input => +input.value);
  channels.forEach(input => { document.getElementById(input.id + '-out').textContent = input.value; });
  const hex = toHex(values);
  hexOut.textContent = hex;
  document.getElementById('swatch').style.background = hex;
  if ({{contrast}}) {
    const ratio = 1.05 / (luminance(values) + 0.05);
    document.getElementById('contrast').textContent = 'contrast on white ' + ratio.toFixed(2) + ':1';
  }
}

function setHex(hex) {
  [1, 3, 5].forEach((at, i) => { channels[i].value = parseInt(hex.slice(at, at + 2), 16); });
  update();
}

channels.forEach(input => input.addEventListener('input', update));
hexInput.addEventListener('input', () => {
  const text = hexInput.value.trim();
  const ok = /^#[0-9a-f]{6}$/i.test(text);
  hint.textContent = ok ? 'Loaded ' + text : 'Hex codes look like #336699.';
  if (ok) setHex(text);
});
document.querySelectorAll('.chip').forEach(chip => chip.addEventListener('click', () => setHex(chip.dataset.hex)));
document.getElementById('save').addEventListener('click', () => {
  const item = document.createElement('li');
  item.textContent = hexOut.textContent;
  item.style.background = hexOut.textContent;
  document.getElementById('saved').append(item);
  hint.textContent = 'Saved ' + hexOut.textContent + '.';
});
update();"""
