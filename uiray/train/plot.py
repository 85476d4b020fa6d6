"""Loss curves as a small standalone SVG (no plotting library to install; opens in any browser)."""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT, PAD = 640, 360, 48
COLOURS = {"loss": "#1f77b4", "eval/loss": "#d62728"}


def loss_svg(records: list[dict], title: str = "loss") -> str:
    """records: metrics dicts with 'step' and any of COLOURS' keys -> SVG text with one polyline per key."""
    series = {key: [(r["step"], r[key]) for r in records if isinstance(r.get(key), (int, float))] for key in COLOURS}
    series = {k: v for k, v in series.items() if v}
    points = [p for pts in series.values() for p in pts]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" '
        f'font-size="12"><rect width="100%" height="100%" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>',
    ]
    if not points:
        return "".join(parts) + '<text x="50%" y="50%" text-anchor="middle">no data yet</text></svg>\n'
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1e-6)

    def xy(step: float, value: float) -> str:
        x = PAD + (step - x0) / (x1 - x0) * (WIDTH - 2 * PAD)
        y = HEIGHT - PAD - (value - y0) / (y1 - y0) * (HEIGHT - 2 * PAD)
        return f"{x:.1f},{y:.1f}"

    parts.append(
        f'<polyline fill="none" stroke="#999" points="{PAD},{PAD} {PAD},{HEIGHT - PAD} {WIDTH - PAD},{HEIGHT - PAD}"/>'
    )
    for value, anchor_y in ((y1, PAD), (y0, HEIGHT - PAD)):
        parts.append(f'<text x="{PAD - 4}" y="{anchor_y + 4}" text-anchor="end">{value:.3g}</text>')
    for step, anchor in ((x0, "start"), (x1, "end")):
        parts.append(
            f'<text x="{xy(step, y0).split(",")[0]}" y="{HEIGHT - PAD + 16}" text-anchor="{anchor}">{step}</text>'
        )
    parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT - 8}" text-anchor="middle">step</text>')
    for i, (key, pts) in enumerate(series.items()):
        colour = COLOURS[key]
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{" ".join(xy(*p) for p in pts)}"/>'
        )
        parts.append(f'<text x="{WIDTH - PAD}" y="{PAD + 14 * i}" text-anchor="end" fill="{colour}">{key}</text>')
    return "".join(parts) + "</svg>\n"
