"""A short human-readable report of a data-stage run (report.md next to stats.json)."""

from __future__ import annotations

from pathlib import Path


def write_report(path: Path, stats: dict) -> None:
    lines = [
        "# uiray data report",
        "",
        f"{stats['rows_in']} rows in: {stats['kept']} kept, {stats['duplicates']} duplicates, "
        f"{stats['filtered']} filtered, {stats['quarantined']} quarantined "
        f"({'counts add up' if stats['counts_add_up'] else 'COUNTS DO NOT ADD UP'}); {stats['seconds']:.0f} s.",
        "",
        "| output | rows |",
        "| --- | ---: |",
        *(f"| {name}/ | {n} |" for name, n in stats["outputs"].items()),
        "",
        "## Why rows were filtered or quarantined",
        "",
        *(f"- {reason}: {n}" for reason, n in stats["reasons"].items()),
        "",
        f"## Scores of scored SFT answers (mean {stats['score_mean']})",
        "",
        "```",
        *_bars(stats["score_histogram"]),
        "```",
        "",
        "## Duplicates",
        "",
        *_dedup_lines(stats["dedup"]),
        "",
        "## Preference pairs",
        "",
        *(f"- {source}: {n}" for source, n in stats["dpo_pairs"]["by_source"].items()),
        *(f"  - perturbation {name}: {n}" for name, n in stats["dpo_pairs"]["by_perturbation"].items()),
    ]
    path.write_text("\n".join(lines) + "\n")


def _bars(histogram: dict[str, int], width: int = 40) -> list[str]:
    top = max(histogram.values(), default=0) or 1
    return [f"{label}  {'#' * round(width * n / top):<{width}} {n}" for label, n in histogram.items()]


def _dedup_lines(dedup: dict) -> list[str]:
    lines = [f"- {key}: {value}" for key, value in dedup.items() if not isinstance(value, list | dict)]
    for example in dedup.get("examples", [])[:5]:
        lines.append(f"- cluster: {example}")
    return lines
