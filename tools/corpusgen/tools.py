"""Corpus apps that are tools: calculators, unit converters, colour pickers.

Each generator takes a seeded `random.Random` and the theme colours and returns an `App`. Controls are
built so that every one of them visibly does something when the interaction probe uses it (it types
"uiray 42" + Enter into inputs, clicks buttons and picks the last option of selects), and checklist
items are true of the page as generated.
"""

from __future__ import annotations

import random

from corpusgen.kit import App, Copy, count, does, fill, js_value, make_app, pick, present, says

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


def _key(key: str) -> str:
    kind = "op" if key in _OPS else "eq" if key == "=" else "num" if key in "0123456789." else "fn"
    return f'<button class="key {kind}" data-key="{key}">{key}</button>'


def calculator_app(rng: random.Random, colors: dict) -> App:
    """A keypad calculator: the expression line shows every key press, '=' evaluates without eval()."""
    extra = pick(rng, _EXTRA_KEYS)
    history = rng.random() < 0.6
    keys = "\n".join(_key(k) for k in [*(k for row in _KEY_ROWS for k in row), *extra])
    body = fill("tools/calculator.html", keys=keys) + (fill("tools/history.html") if history else "")
    css = fill("tools/calculator.css", w=rng.choice([300, 320, 340, 360]), fs=rng.choice([2, 2.2, 2.5]),
               gap=rng.randint(6, 12), **colors)  # fmt: skip
    js = fill("tools/calculator.js", ops=js_value(_OPS), history=js_value(history))
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
    body = fill(
        "tools/converter.html",
        tabs=f'<nav class="row" id="kinds">{tabs}</nav>' if len(kinds) > 1 else "",
        kind=kind,
        value=rng.choice([1, 5, 10, 12, 100]),
    )
    css = fill("tools/converter.css", fs=rng.choice([1.3, 1.5, 1.8]), w=rng.choice([90, 110, 140]), **colors)
    units = {k: [list(u) for u in _UNITS[k]] for k in kinds}
    js = fill("tools/converter.js", units=js_value(units), start=js_value(kind))
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


_COLOR = Copy(
    titles=["Colour Picker", "Color Mixer", "RGB Picker", "Swatch Studio"],
    nouns=["an RGB color picker", "a colour mixer with sliders", "a color picker tool"],
    features=["a hex code input", "preset swatches", "a saved palette", "{extra}"],
    taglines=["Mix a colour, copy its hex.", "Find the perfect shade.", "Red, green, blue: go."],
    tips=["Drag sliders for fine control.", "Hex codes accept 6 digits.", "Saved colours stay this session."],
)


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
    sliders = "\n".join(fill("tools/slider.html", name=name, c=c, v=v)
                        for c, name, v in zip("rgb", ["Red", "Green", "Blue"], start, strict=True))  # fmt: skip
    chips = "".join(f'<button class="chip" data-hex="{p}" style="background:{p}" aria-label="Preset {p}"></button>'
                    for p in presets)  # fmt: skip
    body = fill("tools/color.html", chips=chips, sliders=sliders, hex=_hex(start, upper),
                contrast=' · <span id="contrast"></span>' if contrast else "")  # fmt: skip
    css = fill("tools/color.css", h=rng.choice([90, 120, 160]), r=rng.choice([6, 12, 50]))
    js = fill("tools/color.js", upper=js_value(upper), contrast=js_value(contrast))
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
