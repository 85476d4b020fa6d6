"""Corpus apps that are page widgets: gradient galleries and carousels, tabs and FAQ accordions.

Groups where one item is selected (slides, tabs) start on an item other than the first: the probe clicks
controls in page order, and a click on the item already selected would change nothing.
"""

from __future__ import annotations

import dataclasses
import random

from corpusgen.kit import App, Copy, count, does, esc, fill, fill_text, js_value, make_app, pick, present

_PLACES = ["Aurora Bay", "Desert Bloom", "Misty Pines", "Coral Reef", "Lavender Fields", "Glacier Lake", "Neon City",
           "Autumn Path", "Sunrise Dunes", "Midnight Harbor", "Cherry Grove", "Copper Canyon", "Polar Light",
           "Meadow Haze", "Saffron Hills", "Storm Front", "Tidal Pool", "Velvet Dusk"]  # fmt: skip
_ART = ["Study in Blue", "Warm Static", "Soft Geometry", "Late Signal", "Paper Sun", "Quiet Machine", "Orbit No. 4",
        "Half Tone", "Field Notes", "Slow Bloom", "Second Light", "Echo Chamber"]  # fmt: skip
_CAROUSEL = Copy(
    titles=["Gallery", "Slideshow", "Gradient Carousel", "Color Journeys"],
    nouns=["an image carousel", "a slideshow with dots", "a gradient art carousel"],
    features=["previous/next buttons", "dot navigation", "a slide counter", "arrow-key support",
              "CSS gradient artwork instead of images"],
    taglines=["Swipe through the colours.", "No images, just gradients.", "A tiny slideshow."],
    tips=["Use ← and → keys.", "Dots jump straight to a slide.", "Every slide is pure CSS."],
)  # fmt: skip


def _gradient(rng: random.Random) -> str:
    """A CSS gradient that stands in for a picture (the sandbox, and the corpus, have no image files)."""
    hues = [rng.randrange(0, 360, 5) for _ in range(rng.randint(2, 3))]
    stops = ", ".join(f"hsl({h} {rng.randint(55, 90)}% {rng.randint(45, 70)}%)" for h in hues)
    if rng.random() < 0.3:
        return f"radial-gradient(circle at {rng.randint(10, 90)}% {rng.randint(10, 90)}%, {stops})"
    return f"linear-gradient({rng.randrange(0, 360, 15)}deg, {stops})"


def gallery_app(rng: random.Random, colors: dict) -> App:
    """A carousel (prev/next, dots, counter) or a filterable grid with a lightbox; images are CSS gradients."""
    return _carousel(rng, colors) if rng.random() < 0.5 else _grid_gallery(rng, colors)


def _carousel(rng: random.Random, colors: dict) -> App:
    n = rng.randint(4, 7)
    captions = pick(rng, _PLACES + _ART, n)
    start = rng.randrange(1, n)
    slides = [{"caption": c, "background": _gradient(rng)} for c in captions]
    dots = "".join(f'<button class="dot" data-i="{i}" aria-label="Slide {i + 1}"></button>' for i in range(n))
    css = fill("widgets/carousel.css", h=rng.choice([220, 260, 300, 340]), r=rng.choice([0, 8, 16]), **colors)
    js = fill("widgets/carousel.js", slides=js_value(slides), start=start, autoplay=js_value(rng.random() < 0.3))
    checklist = [
        present("Shows a slide", "#slide"),
        count("Has one dot per slide", ".dot", n),
        does("Next advances the counter", [{"click": "#next"}], "#counter", f"{(start + 1) % n + 1} / {n}"),
        does("Dots jump to a slide", [{"click": '.dot[data-i="0"]'}], "#caption", captions[0]),
        does("Prev goes back", [{"click": "#prev"}], "#caption", captions[start - 1]),
    ]
    return make_app(rng, "gallery", _CAROUSEL, (fill("widgets/carousel.html", dots=dots), css, js), checklist)


_GRID = Copy(
    titles=["Gallery", "Moodboard", "Swatch Wall", "Gradient Gallery"],
    nouns=["a filterable gallery with a lightbox", "a photo-style grid gallery", "a moodboard grid"],
    features=["category filters", "a lightbox", "a responsive grid", "gradient thumbnails"],
    taglines=["Click a tile to enlarge it.", "Filter by mood.", "All made of CSS gradients."],
    tips=["Click or press Escape to close.", "Filters combine with All.", "Tiles reflow on small screens."],
)
_MOODS = ["Nature", "City", "Abstract", "Ocean", "Night", "Warm", "Cool"]


def _grid_gallery(rng: random.Random, colors: dict) -> App:
    tags = pick(rng, _MOODS, rng.randint(2, 3))
    n = rng.randint(6, 10)
    items = [{"caption": c, "tag": pick(rng, tags), "background": _gradient(rng)} for c in pick(rng, _PLACES, n)]
    filters = "".join(f'<button class="filter" data-tag="{t}">{t}</button>' for t in tags)
    css = fill(
        "widgets/grid.css",
        size=rng.choice([110, 130, 150]),
        gap=rng.randint(6, 14),
        ratio=pick(rng, ["1", "4 / 3", "3 / 4"]),
        r=rng.choice([0, 6, 12]),
    )
    js = fill("widgets/grid.js", items=js_value(items))
    tag, first = tags[0], items[0]
    shown = sum(i["tag"] == tag for i in items)
    checklist = [
        count("Shows the thumbnails", ".thumb", n),
        does("A thumbnail opens the lightbox", [{"click": ".thumb"}], "#lightbox-caption",
             f"{first['caption']} · {first['tag']}"),
        does(f"The {tag} filter narrows the grid", [{"click": f'.filter[data-tag="{tag}"]'}], "#shown",
             f"Showing {shown} of {n}"),
        present("Has filter buttons", ".filter"),
    ]  # fmt: skip
    return make_app(rng, "gallery", _GRID, (fill("widgets/grid.html", filters=filters), css, js), checklist)


_TAB_SETS = {
    "product": (["Overview", "Specs", "Reviews", "Shipping"], [
        "A lightweight {{thing}} built for everyday use, with a {{n}}-year warranty.",
        "Weight {{n}}00 g · Battery {{n}}0 h · USB-C charging · Water resistant.",
        "★★★★☆ {{n}}.{{m}} average from {{n}}{{m}}0 reviews. People love the build quality.",
        "Ships in {{n}} business days. Free returns within 30 days.",
    ]),
    "settings": (["Profile", "Security", "Notifications", "Billing"], [
        "Signed in as {{person}}. Your profile is visible to your team.",
        "Two-factor authentication is on. Last password change {{n}} months ago.",
        "Email digests go out every {{day}}. Push alerts are off.",
        "Plan renews on the {{n}}th. Invoices go to {{person}}.",
    ]),
    "recipe": (["Ingredients", "Method", "Notes"], [
        "{{n}} eggs, 200 g flour, a pinch of salt, {{m}}00 ml milk, butter.",
        "Whisk, rest {{n}}0 minutes, fry thin layers on a hot pan, flip once.",
        "Best eaten warm. Try it with {{thing}} on a {{day}}.",
    ]),
    "course": (["Syllabus", "Schedule", "Instructor", "FAQ"], [
        "{{n}} modules covering the basics of {{thing}} design and testing.",
        "Live sessions every {{day}} at {{n}} pm, recordings afterwards.",
        "Taught by {{person}}, who has shipped {{thing}} products for {{n}}{{m}} years.",
        "Yes, there is a certificate. No, you do not need prior experience.",
    ]),
}  # fmt: skip
_FAQ = [
    ("Can I cancel anytime?", "Yes. Cancel from your account page and you will not be charged again."),
    ("Do you offer refunds?", "Within 14 days of purchase, no questions asked."),
    ("Is my data safe?", "Everything is encrypted at rest and in transit."),
    ("Do you have a student discount?", "Students get 50% off with a valid school email."),
    ("Can I change plans later?", "Upgrade or downgrade whenever you like; we prorate the difference."),
    ("Which browsers are supported?", "The latest two versions of every major browser."),
    ("Is there a free trial?", "Every plan starts with a 14-day trial, no card required."),
    ("How do I contact support?", "Use the chat bubble or email the help desk; we reply within a day."),
    ("Can I invite my team?", "Yes, invite as many teammates as your plan allows."),
    ("Where are you based?", "We are a small remote team spread over four time zones."),
]
_FILL = {"thing": ["headphone", "lamp", "backpack", "kettle", "keyboard", "tent"], "person": ["Sam Ortiz", "Mei Tan",
         "Jonas Berg", "Ama Owusu"], "day": ["Monday", "Wednesday", "Friday", "Sunday"]}  # fmt: skip
_TABS = Copy(
    titles=["{Kind} Details", "Help Centre", "Learn More", "{first}"],
    nouns=["a tabbed {kind} page", "a {kind} page with tabs"],
    features=["accessible tab roles", "arrow-key navigation", "tabs that keep their content"],
    taglines=["Everything in one place.", "Click a tab or a question.", "Short answers first."],
    tips=["← → move between tabs.", "Each tab keeps its own content.", "The selected tab is highlighted."],
)
_FAQ_COPY = dataclasses.replace(
    _TABS,
    nouns=["an FAQ accordion", "a frequently-asked-questions page with collapsible answers"],
    features=["an expand-all toggle", "answers that open one by one", "+/− indicators"],
    tips=["Click a question to open it.", "Expand all opens every answer.", "Click again to close."],
)
_BOTH = dataclasses.replace(_TABS, nouns=["a {kind} page with tabs and an FAQ"], features=_TABS.features[:2] +
                            _FAQ_COPY.features[:2], tips=_TABS.tips[:2] + _FAQ_COPY.tips[1:2])  # fmt: skip


def _tab_section(start: int, names: list[str], texts: list[str]) -> str:
    tabs = "".join(f'<button role="tab" id="tab-{i}" aria-selected="{str(i == start).lower()}">{n}</button>'
                   for i, n in enumerate(names))  # fmt: skip
    panels = "\n".join(f'<div role="tabpanel" id="panel-{i}"{"" if i == start else " hidden"}><p>{esc(t)}</p></div>'
                       for i, t in enumerate(texts))  # fmt: skip
    return f'<section class="panel"><div role="tablist" class="tabs">{tabs}</div>\n{panels}\n</section>'


def tabs_app(rng: random.Random, colors: dict) -> App:
    """Tabs (keyboard arrows move between them) and/or an FAQ accordion with an expand-all button."""
    kind = pick(rng, _TAB_SETS)
    names, templates = _TAB_SETS[kind]
    words = {k: pick(rng, v) for k, v in _FILL.items()}
    texts = [fill_text(t, n=rng.randint(2, 9), m=rng.randint(1, 9), **words) for t in templates]
    start = rng.randrange(1, len(names))
    faq = pick(rng, _FAQ, rng.randint(3, 5))
    layout = pick(rng, ["tabs", "faq", "both"])
    parts, checklist = [], []
    if layout != "faq":
        parts.append(_tab_section(start, names, texts))
        checklist += [
            count("Has a tab per section", '[role="tab"]', len(names)),
            does(f"Clicking {names[0]} selects it", [{"click": "#tab-0"}], '[role="tab"][aria-selected="true"]',
                 names[0]),
            does(f"The {names[0]} panel shows its text", [{"click": "#tab-0"}], "#panel-0", texts[0]),
        ]  # fmt: skip
    if layout != "tabs":
        items = "\n".join(fill("widgets/faq_item.html", q=esc(q), a=esc(a)) for q, a in faq)
        heading = pick(rng, ["FAQ", "Questions", "Good to know"])
        parts.append(f'<section class="panel"><div class="row"><h2>{heading}</h2><button id="expand" class="ghost">'
                     f"Expand all</button></div>\n{items}\n</section>")  # fmt: skip
        checklist += [
            count("Lists the questions", ".faq-q", len(faq)),
            does("A question opens its answer", [{"click": ".faq-q"}], ".faq-item.open .faq-a", faq[0][1]),
            does("Expand all becomes Collapse all", [{"click": "#expand"}], "#expand", "Collapse all"),
        ]
    copy = {"tabs": _TABS, "faq": _FAQ_COPY, "both": _BOTH}[layout]
    page = (
        "\n".join(parts),
        fill("widgets/tabs.css", r=rng.choice([4, 8, 12]), **colors),
        fill("widgets/tabs.js", start=start),
    )
    return make_app(rng, "tabs_accordion", copy, page, checklist, kind=kind, Kind=kind.title(), first=names[0])
