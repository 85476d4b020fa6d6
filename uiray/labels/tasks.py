"""Labeling tasks: a prompt and 2-4 candidate answers, some with a hidden control.

Candidates come from answers people already have (any file or directory `uiray data` reads: SFT rows give their
completion, preference rows both answers; answers to the same prompt are grouped) and/or from a model sampled
through the generation path (`uiray labels tasks --model outputs/sft`). A control is a copy of one candidate
broken by a data-stage perturbation (handlers removed, a script error, the page cut short...): known worse.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

from uiray.config import ConfigError
from uiray.data.formats import normalise_row
from uiray.data.perturb import perturb
from uiray.labels.config import LabelsConfig
from uiray.labels.store import Candidate, LabelStore
from uiray.page.extract import extract_html

Answers = dict[str, list[tuple[str, str]]]
"""prompt -> [(reply, source)]"""


def read_answers(path: str) -> Answers:
    """Answers grouped by prompt from a jsonl/json/parquet file or a directory of them (None values dropped, so
    the data stage's own outputs read as what they are)."""
    root = Path(path)
    kinds = (".jsonl", ".json", ".parquet")
    files = sorted(p for p in root.rglob("*") if p.suffix in kinds) if root.is_dir() else [root]
    if not files or not all(f.is_file() for f in files):
        raise ConfigError(f"no answers found at {path} (give a jsonl/parquet file or a directory of them)")
    answers: Answers = defaultdict(list)
    for file in files:
        for record in _records(file):
            row = normalise_row({k: v for k, v in record.items() if v is not None}, str(file))
            if row["kind"] == "sft":
                answers[row["prompt"]].append((row["completion"], f"data:{row['id']}"))
            elif row["kind"] == "pref":
                answers[row["prompt"]] += [(row["chosen"], f"data:{row['id']}:chosen"),
                                           (row["rejected"], f"data:{row['id']}:rejected")]  # fmt: skip
    return answers


def _records(file: Path) -> list[dict]:
    if file.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(file).to_pylist()
    text = file.read_text(encoding="utf-8")
    if file.suffix == ".json":
        data = json.loads(text)
        return data if isinstance(data, list) else [data]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def sample_answers(prompts: list[str], cfg: LabelsConfig) -> Answers:
    """sampling.n replies per prompt from cfg.generation's model, through the generation path."""
    from uiray.generation import UIGenerator

    generator = UIGenerator(cfg.generation)
    answers: Answers = defaultdict(list)
    for generation in generator.generate(prompts, cfg.generation.sampling, progress=True):
        answers[generation["prompt"]].append((generation["reply"], f"model:{Path(cfg.generation.model.name).name}"))
    return answers


def build_tasks(answers: Answers, cfg: LabelsConfig) -> list[tuple[str, list[Candidate]]]:
    """Tasks of up to cfg.candidates distinct answers per prompt (prompts with fewer than two are skipped); in a
    cfg.control_rate share of them, a control: one candidate broken by one of cfg.control_perturbations."""
    rng = random.Random(cfg.seed)
    tasks = []
    for prompt, found in answers.items():
        first: dict[str, str] = {}  # reply -> the source it was first seen with
        for reply, source in found:
            first.setdefault(reply, source)
        candidates = [Candidate(reply, source) for reply, source in first.items()][: cfg.candidates]
        if len(candidates) < 2:
            continue
        if rng.random() < cfg.control_rate and (made := _control(candidates, cfg.control_perturbations, rng)):
            original, control = made
            if len(candidates) > 2:  # in the place of another candidate: the number of pages gives nothing away
                others = [k for k in range(len(candidates)) if k != original]
                candidates.pop(gone := rng.choice(others))
                original -= gone < original
            candidates.append(control._replace(control_of=original))  # where it is shown: app.py shuffles
        tasks.append((prompt, candidates))
    return tasks


def _control(candidates: list[Candidate], names: list[str], rng: random.Random) -> tuple[int, Candidate] | None:
    """(position of the original, a broken copy of it): the first candidate, in random order, whose page one of
    the perturbations could break. The copy is the original reply with its page swapped for the broken one, so
    the words around the code do not give it away."""
    for position in rng.sample(range(len(candidates)), len(candidates)):
        reply = candidates[position].reply
        page = extract_html(reply)
        broken = perturb(page.html, rng.sample(names, len(names)), rng) if page else []
        if broken and page.html in reply:
            copy = reply.replace(page.html, broken[0].html, 1)
            return position, Candidate(copy, "control", perturbation=broken[0].name)
    return None


def add_tasks(store: LabelStore, tasks: list[tuple[str, list[Candidate]]]) -> list[str | None]:
    """Store the tasks in one transaction; None for a task stored already (the same prompt and candidates)."""
    return store.add_tasks(tasks)
