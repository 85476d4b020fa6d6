"""eval's report: one static HTML page (no network, no scripts) with its charts and screenshots beside it.

report.html      metrics table, win table, charts, then per prompt every model's screenshot, scores and code
components.png   mean reward components per model (matplotlib)
curves.png       training curves (loss, reward) of the runs evaluated, when run directories were given
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from html import escape
from pathlib import Path

ROWS = [("reward", "mean reward"), ("page_found", "page found"), ("render_ok", "renders"),
        ("completeness", "completeness"), ("checklist_pass", "checklist pass"), ("checklist_score", "checklist score"),
        ("interactivity", "interactivity"), ("visual", "visual sanity"), ("a11y_violations", "a11y violations / page"),
        ("truncated", "truncated"),
        ("looped", "looped"), ("skeleton", "skeleton"), ("tokens", "reply tokens"),
        ("colour_diversity", "colour diversity"), ("top_colour_share", "top colour share")]  # fmt: skip
CURVE_KEYS = ("loss", "eval/loss", "reward")
STYLE = """body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#111}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}
.prompt{border-top:2px solid #ddd;padding-top:12px;margin-top:20px}.answers{display:flex;gap:12px;overflow-x:auto}
.answer{flex:0 0 auto;width:360px}.answer img{width:360px;border:1px solid #ccc;display:block}
.none{width:360px;height:120px;border:1px dashed #c66;display:flex;align-items:center;justify-content:center;color:#a33}
.scores{font-size:12px;color:#444}"""


def write_report(out: Path, summary: dict, answers: list[dict], prompts: dict[str, dict]) -> Path:
    """report.html (and its charts) in `out`; returns its path."""
    charts = [_components_chart(out, summary["models"], answers)]
    curves = _curves_chart(out, summary["runs"])
    if curves:
        charts.append(curves)
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>uiray eval</title><style>{STYLE}"
             "</style></head><body>", "<h1>uiray eval</h1>",
             f"<p>{summary['prompts']} prompts, {summary['answers']} answers, models: "
             f"{escape(', '.join(summary['models']))}. {escape(_timing(summary['timing']))}</p>",
             _metrics_table(summary), _win_table(summary["pairwise"]),
             *(f"<p><img src='{name}' alt='{name}'></p>" for name in charts),
             _rejected(summary["rejected_replies"]), *_prompt_sections(summary["models"], answers, prompts),
             "</body></html>"]  # fmt: skip
    path = out / "report.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def _timing(timing: dict) -> str:
    generation = ", ".join(f"{model} {seconds:.0f} s" for model, seconds in timing["generation_s"].items())
    return (
        f"Wall time {timing['wall_s']:.0f} s ({timing['answers_per_minute']:.1f} answers/min); generation: "
        f"{generation or 'none (given replies)'}; browser scoring busy {timing['scoring_busy_s']:.0f} s."
    )


def _metrics_table(summary: dict) -> str:
    models = summary["models"]
    head = "".join(f"<th>{escape(m)}</th>" for m in models)
    rows = []
    for key, name in ROWS:
        cells = []
        for model in models:
            row = summary["metrics"].get(model, {})
            value = row.get(key)
            text = "–" if value is None else f"{value:.3f}" if key != "tokens" else f"{value:.0f}"
            if key == "reward" and value is not None:
                low, high = row["reward_ci"]
                text += f" [{low:.3f}, {high:.3f}]"
            cells.append(f"<td>{text}</td>")
        rows.append(f"<tr><td>{name}</td>{''.join(cells)}</tr>")
    return f"<h2>Metrics</h2><table id='metrics'><tr><th>metric</th>{head}</tr>{''.join(rows)}</table>"


def _win_table(pairs: list[dict]) -> str:
    rows = "".join(f"<tr><td>{escape(p['a'])} vs {escape(p['b'])}</td><td>{p['a_wins']}</td><td>{p['ties']}</td>"
                   f"<td>{p['b_wins']}</td><td>{p['sign_test_p']:.3g}</td></tr>" for p in pairs)  # fmt: skip
    return ("<h2>Pairwise (per prompt, on reward)</h2><table id='wins'><tr><th>A vs B</th><th>A better</th>"
            f"<th>equal</th><th>B better</th><th>sign test p</th></tr>{rows}</table>")  # fmt: skip


def _rejected(rows: list[dict]) -> str:
    if not rows:
        return ""
    items = "".join(f"<li>line {r['line']}: {escape(r['reason'])}</li>" for r in rows)
    return f"<h2>Replies not scored</h2><ul id='rejected'>{items}</ul>"


def _prompt_sections(models: list[str], answers: list[dict], prompts: dict[str, dict]) -> list[str]:
    by_prompt: dict[str, list[dict]] = defaultdict(list)
    for answer in answers:
        by_prompt[answer["prompt_id"]].append(answer)
    sections = []
    for prompt_id, group in by_prompt.items():
        group.sort(key=lambda a: (models.index(a["model"]), a["sample"]))
        cards = "".join(_card(a) for a in group)
        text = escape(prompts[prompt_id]["prompt"])
        sections.append(f"<div class='prompt' id='{escape(prompt_id)}'><h3>{escape(prompt_id)}</h3><p>{text}</p>"
                        f"<div class='answers'>{cards}</div></div>")  # fmt: skip
    return ["<h2>Answers</h2>", *sections]


def _card(answer: dict) -> str:
    name = escape(f"{answer['model']} #{answer['sample']}")
    if answer["screenshot"]:
        shot = f"<img src='{escape(answer['screenshot'])}' alt='{name}' loading='lazy'>"
    else:
        reason = answer["error"] or (answer["issues"][0] if answer["issues"] else "no screenshot")
        shot = f"<div class='none'>{escape(reason[:120])}</div>"
    scores = ", ".join(f"{k} {answer[k]:.2f}" for k in ("completeness", "interactivity", "visual", "checklist_pass")
                       if isinstance(answer.get(k), (int, float)))  # fmt: skip
    return (f"<div class='answer' data-model='{escape(answer['model'])}'><b>{name}</b> reward {answer['reward']:.3f}"
            f"{shot}<div class='scores'>{scores}</div><a href='{escape(answer['code'])}'>code</a></div>")  # fmt: skip


def _components_chart(out: Path, models: list[str], answers: list[dict]) -> str:
    plt = _pyplot()
    names = sorted({name for a in answers for name in a["components"]})
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(names) * max(1, len(models)) / 2), 3.6))
    width = 0.8 / max(1, len(models))
    for i, model in enumerate(models):
        values = []
        for name in names:
            seen = [a["components"][name] for a in answers if a["model"] == model and name in a["components"]]
            values.append(statistics.fmean(seen) if seen else 0.0)
        ax.bar([j + i * width for j in range(len(names))], values, width, label=model)
    ax.set_xticks([j + width * (len(models) - 1) / 2 for j in range(len(names))], names, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("mean over answers")
    ax.set_title("reward components per model")
    ax.legend(fontsize=8)
    return _save(fig, out, "components.png")


def _curves_chart(out: Path, runs: dict[str, str]) -> str | None:
    curves = {}
    for label, run_dir in runs.items():
        path = Path(run_dir) / "metrics.jsonl"
        if path.is_file():
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            curves[label] = rows
    keys = [k for k in CURVE_KEYS if any(k in r for rows in curves.values() for r in rows)]
    if not keys:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 3.2), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        for label, rows in curves.items():
            points = [(r["step"], r[key]) for r in rows if key in r and "step" in r]
            if points:
                ax.plot(*zip(*points, strict=True), label=label, marker="." if len(points) < 30 else None)
        ax.set_title(key)
        ax.set_xlabel("step")
        ax.legend(fontsize=8)
    return _save(fig, out, "curves.png")


def _pyplot():
    """matplotlib's pyplot on the file-only Agg backend (no display on a cluster node)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, out: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(out / name, dpi=110)
    _pyplot().close(fig)
    return name
