"""`uiray eval`: answer a held-out prompt set with each model, score every answer in the browser, report.

    prompts ─► GenerationWorker (one per model, in turn; vLLM, chunks of `chunk` prompts) ─┐
    given replies (--replies) ─────────────────────────────────────────────────────────────┤
                                                             RewardWorker actors (`render`) ◄┘ as each chunk lands
                                                                       │
              answers.jsonl (one record per answer) ─► metrics.py ─► summary.json, report.html

Each model's engine lives in its own actor, killed when its last chunk is answered, so the next model loads
into free memory while the browsers are still scoring the previous one's answers. Every answer is a record
with the per-answer fields that metrics.py averages, so anyone can recompute the table from answers.jsonl.
Records are appended as they are scored: a run stopped halfway and started again with the same settings and
output_dir keeps them and answers only what is missing (resume.json says which settings they came from); with
other settings it stops rather than overwrite them.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from uiray.config import UI_SYSTEM_PROMPT, ConfigError, EvalConfig, GenerateConfig, ModelConfig, save_config
from uiray.eval.metrics import dominant_hue, model_metrics, pairwise
from uiray.eval.prompts import EvalPrompt, load_prompts, load_replies
from uiray.models import adapter_config
from uiray.page.extract import extract_html
from uiray.page.heuristics import is_skeleton

log = logging.getLogger("uiray.eval")
CHARS_PER_TOKEN = 3.5
THUMB_WIDTH, THUMB_MAX_HEIGHT = 480, 1400


@dataclass
class EvalModel:
    label: str
    """Short name in tables and files."""
    name: str
    """What vLLM loads: a known name, checkpoint or adapter directory."""
    system_prompt: str
    run_dir: Path | None = None
    """The training run it came from (its metrics.jsonl gives the report's curves)."""


class GenerationWorker:
    """One model's vLLM engine in its own process (killed when done, so its memory comes back)."""

    def __init__(self, cfg: dict):
        from uiray.generation import UIGenerator
        from uiray.logs import setup_logging

        setup_logging()
        self.generator = UIGenerator(GenerateConfig.model_validate(cfg))

    def generate(self, prompts: list[str], sampling: dict) -> tuple[list[dict], float]:
        from uiray.config import SamplingConfig

        started = time.perf_counter()
        replies = self.generator.generate(prompts, SamplingConfig.model_validate(sampling))
        return [dict(r) for r in replies], time.perf_counter() - started


def resolve_models(specs: list[str], system_prompt: str | None) -> list[EvalModel]:
    """Run directories (with final/) become their final model, system prompt and curves; others load as named."""
    models, labels = [], set()
    for spec in specs:
        path = Path(spec).expanduser()
        run_dir, name, run_system = None, spec, None
        if path.is_dir() and (path / "final").is_dir():
            run_dir, name = path, str(path / "final")
            config = path / "config.yaml"
            run_system = (yaml.safe_load(config.read_text()) or {}).get("system_prompt") if config.is_file() else None
        elif spec.startswith((".", "/", "~")) and not path.exists():
            raise ConfigError(f"model directory {spec} does not exist")
        elif path.is_dir() and not (adapter_config(path) or (path / "config.json").is_file()):
            raise ConfigError(f"{spec} is neither a run directory (final/), a checkpoint nor a peft adapter")
        label = _unique(_label(path if path.exists() else None, spec), labels)
        chosen = system_prompt if system_prompt is not None else (run_system or UI_SYSTEM_PROMPT)
        models.append(EvalModel(label, name, chosen, run_dir))
    return models


def run_eval(cfg: EvalConfig) -> dict:
    """Generate (or read) answers, score them, write answers.jsonl, summary.json and report.html."""
    import ray

    from uiray.cluster import init_ray
    from uiray.eval.report import write_report
    from uiray.reward.actors import start_reward_workers

    out = Path(cfg.output_dir)
    prompts = load_prompts(cfg.prompts, cfg.limit)
    given, extra, rejected = load_replies(cfg.replies, prompts) if cfg.replies else ([], [], [])
    for row in rejected:
        log.warning(f"{cfg.replies}:{row['line']}: skipped: {row['reason']}")
    models = resolve_models(cfg.models, cfg.system_prompt)
    clash = {m.label for m in models} & {r["model"] for r in given}
    if clash:
        raise ConfigError(f"replies use the names of generated models: {sorted(clash)}; rename them in the file")
    if not models and not given:
        raise ConfigError("nothing to evaluate: give models=[...] and/or replies=FILE with at least one good row")
    out.mkdir(parents=True, exist_ok=True)
    kept = _resumable(out, cfg, models)
    save_config(cfg, out)
    init_ray(cfg.ray)
    started = time.perf_counter()
    total = len(models) * len(prompts) * cfg.sampling.n + len(given)
    scoring = Scoring(start_reward_workers(cfg.scorers, cfg.reward), {p["id"]: p for p in prompts + extra}, out, total)
    scoring.keep(kept)
    scoring.submit([g for g in _numbered(given) if _key(g) not in scoring.done])
    generation_s = {m.label: _generate(m, prompts, cfg, scoring) for m in models}
    answers = scoring.finish()
    for worker in scoring.workers:
        ray.kill(worker)
    wall = time.perf_counter() - started
    labels = [m.label for m in models] + list(dict.fromkeys(r["model"] for r in given))
    (out / "rejected_replies.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rejected))
    summary = {
        "models": labels, "prompts": len(prompts) + len(extra), "answers": len(answers),
        "metrics": model_metrics(answers, cfg.bootstrap, cfg.seed),
        "pairwise": pairwise(answers, labels, cfg.tie_margin),
        "rejected_replies": rejected,
        "timing": {"wall_s": round(wall, 1), "generation_s": {k: round(v, 1) for k, v in generation_s.items()},
                   "scoring_busy_s": round(sum(a["score_seconds"] for a in answers), 1),
                   "answers_per_minute": round(len(answers) / max(wall / 60, 1e-9), 2)},
        "runs": {m.label: str(m.run_dir) for m in models if m.run_dir},
    }  # fmt: skip
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    write_report(out, summary, answers, {p["id"]: p for p in prompts + extra})
    log.info(f"eval: {len(answers)} answers in {wall:.0f} s; report in {out / 'report.html'}")
    return summary


def _generate(model: EvalModel, prompts: list[EvalPrompt], cfg: EvalConfig, scoring: Scoring) -> float:
    """Answer every prompt with `model`, handing each chunk to the scorers as it lands; generation seconds."""
    import ray

    gen_cfg = GenerateConfig(model=ModelConfig(name=model.name, dtype=cfg.dtype), engine=cfg.engine,
                             sampling=cfg.sampling, system_prompt=model.system_prompt,
                             response_prefix=cfg.response_prefix)  # fmt: skip
    n = cfg.sampling.n
    prompts = [p for p in prompts if any((model.label, p["id"], i) not in scoring.done for i in range(n))]
    if not prompts:
        return 0.0
    worker = ray.remote(GenerationWorker).options(num_cpus=1, num_gpus=cfg.gpus_per_engine).remote(gen_cfg.model_dump())
    chunks = [prompts[i : i + cfg.chunk] for i in range(0, len(prompts), cfg.chunk)]
    calls = [worker.generate.remote([p["prompt"] for p in chunk], cfg.sampling.model_dump()) for chunk in chunks]
    seconds = 0.0
    try:
        for chunk, call in zip(chunks, calls, strict=True):
            while not ray.wait([call], timeout=0.5)[0]:
                scoring.poll()
            try:
                replies, took = ray.get(call)
            except ray.exceptions.RayError as e:  # the engine did not load (a bad model path) or died
                raise RuntimeError(f"generation with {model.label} ({model.name}) failed: {e}") from None
            seconds += took
            scoring.submit([{"model": model.label, "prompt_id": chunk[i // n]["id"], "sample": i % n,
                             "reply": r["reply"], "finish_reason": r["finish_reason"],
                             "completion_tokens": r["completion_tokens"]} for i, r in enumerate(replies)])  # fmt: skip
    finally:
        ray.kill(worker)
    return seconds


class Scoring:
    """Answers in flight on the reward actors, and the records of those scored (appended to answers.jsonl as they
    land; progress bar with ETA)."""

    def __init__(self, workers: list, prompts: dict[str, EvalPrompt], out: Path, total: int):
        from tqdm import tqdm

        self.workers, self.prompts, self.out = workers, prompts, out
        self.pending: dict = {}
        self.answers: list[dict] = []
        self.done: set[tuple] = set()
        self.bar = tqdm(total=total, desc="eval", unit="answer", dynamic_ncols=True)
        self._next = 0
        self._file = open(out / "answers.jsonl", "w", encoding="utf-8")  # noqa: SIM115 (closed in finish)

    def keep(self, records: list[dict]) -> None:
        """Records of an earlier, stopped run with the same settings: counted as scored, not redone."""
        for record in records:
            self._add(record)
        if records:
            log.info(f"eval: resuming: {len(records)} answers already scored in {self.out / 'answers.jsonl'}")

    def submit(self, items: list[dict]) -> None:
        if not items:
            return
        requests = []
        for item in items:
            prompt = self.prompts[item["prompt_id"]]
            request = {"prompt": prompt["prompt"], "response": item["reply"], "keep_screenshot": True}
            request.update({k: prompt[k] for k in ("checklist", "reference") if prompt[k]})
            if item.get("completion_tokens"):
                request["num_tokens"] = item["completion_tokens"]
            requests.append(request)
        worker = self.workers[self._next % len(self.workers)]
        self._next += 1
        self.pending[worker.score.remote(requests)] = items

    def poll(self, timeout: float = 0) -> None:
        import ray

        if not self.pending:
            return
        done, _ = ray.wait(list(self.pending), num_returns=len(self.pending), timeout=timeout)
        for call in done:
            items = self.pending.pop(call)
            for item, outcome in zip(items, ray.get(call), strict=True):
                self._add(self._record(item, outcome))

    def finish(self) -> list[dict]:
        """Wait for the answers in flight; all records, sorted (and rewritten in that order)."""
        while self.pending:
            self.poll(timeout=1.0)
        self.bar.close()
        self._file.close()
        self.answers.sort(key=_key)
        with open(self.out / "answers.jsonl", "w", encoding="utf-8") as file:
            file.writelines(json.dumps(a, ensure_ascii=False) + "\n" for a in self.answers)
        return self.answers

    def _add(self, record: dict) -> None:
        if _key(record) in self.done:
            return
        self.answers.append(record)
        self.done.add(_key(record))
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        self.bar.update(1)

    def _record(self, item: dict, outcome: dict) -> dict:
        prompt = self.prompts[item["prompt_id"]]
        components = outcome["breakdown"]["components"]
        render = outcome["render"]
        failed = outcome["error"] is not None
        found = extract_html(item["reply"])
        executable = [c for c in prompt["checklist"] or [] if isinstance(c, dict) and c.get("check")]
        passed = sum(1 for d in outcome["checklist"] or [] if d["source"] == "check" and d["score"] == 5.0)
        axe = (render or {}).get("accessibility") or {}
        stem = f"{_slug(item['model'])}/{_slug(item['prompt_id'])}-{item['sample']}"
        code = self.out / "code" / f"{stem}.txt"
        code.parent.mkdir(parents=True, exist_ok=True)
        code.write_text(item["reply"], encoding="utf-8")
        shot = outcome.get("screenshot")
        return {
            **{k: item.get(k) for k in ("model", "prompt_id", "sample", "finish_reason", "completion_tokens")},
            "reward": float(outcome["reward"]),
            "page_found": None if failed else render is not None,
            "render_ok": None if failed else components.get("render") == 1.0,
            "completeness": None if failed else components.get("completeness", 0.0),
            "truncated": item["finish_reason"] == "length" if item.get("finish_reason") else None,
            "looped": None if failed else components.get("repetition") == 0.0,
            "skeleton": is_skeleton(item["reply"], found.html if found else None),
            "interactivity": components.get("interactivity"),
            "a11y_violations": len(axe["violations"]) if axe.get("error") is None and "violations" in axe else None,
            "visual": components.get("visual"),
            "checklist_pass": None if failed or not executable else passed / len(executable),
            "checklist_score": components.get("checklist"),
            "tokens": item.get("completion_tokens") or round(len(item["reply"]) / CHARS_PER_TOKEN),
            "hue": dominant_hue(shot) if shot else None,
            "components": components,
            "issues": outcome["issues"][:8],
            "error": outcome["error"],
            "score_seconds": outcome["seconds"],
            "code": str(code.relative_to(self.out)),
            "screenshot": self._thumbnail(shot, stem) if shot else None,
        }

    def _thumbnail(self, png: bytes, stem: str) -> str:
        from PIL import Image

        image = Image.open(io.BytesIO(png)).convert("RGB")
        image = image.resize((THUMB_WIDTH, max(1, round(image.height * THUMB_WIDTH / image.width))))
        image = image.crop((0, 0, THUMB_WIDTH, min(image.height, THUMB_MAX_HEIGHT)))
        path = self.out / "shots" / f"{stem}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, optimize=True)
        return str(path.relative_to(self.out))


def _resumable(out: Path, cfg: EvalConfig, models: list[EvalModel]) -> list[dict]:
    """Records of an earlier run in `out` that this one can keep: the same answer-shaping settings (prompt and
    replies files by content), and per generated model the same model under the same label. Writes resume.json."""
    settings = cfg.model_dump(mode="json", include={"prompts", "sampling", "engine", "dtype", "system_prompt",
                                                    "response_prefix", "reward"})  # fmt: skip
    for field in ("prompts", "replies"):
        path = getattr(cfg, field)
        if path and path != "heldout":
            settings[f"{field}_sha256"] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    names = {m.label: m.name for m in models}
    marker, answers = out / "resume.json", out / "answers.jsonl"
    earlier = json.loads(marker.read_text()) if marker.is_file() else {}
    if answers.is_file() and answers.stat().st_size and earlier.get("settings") != settings:
        changed = sorted(k for k in settings.keys() | earlier.get("settings", {}).keys()
                         if settings.get(k) != earlier.get("settings", {}).get(k))  # fmt: skip
        raise ConfigError(f"{answers} holds answers made with other settings ({', '.join(changed)} differ): "
                          "use another output_dir, or delete that file to start over")  # fmt: skip
    marker.write_text(json.dumps({"settings": settings, "models": names}, indent=1))
    if not answers.is_file():
        return []
    records = []
    for line in answers.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:  # the last line of a run killed while writing it
            continue
    generated_before = earlier.get("models", {})
    return [r for r in records
            if (names[r["model"]] == generated_before.get(r["model"]) if r["model"] in names
                else r["model"] not in generated_before and cfg.replies)]  # fmt: skip


def _key(record: dict) -> tuple:
    return record["model"], record["prompt_id"], record["sample"]


def _numbered(given: list[dict]) -> list[dict]:
    """Given replies with their sample number: how many came before them for the same model and prompt."""
    seen: Counter = Counter()
    items = []
    for reply in given:
        key = (reply["model"], reply["prompt_id"])
        items.append({**reply, "sample": seen[key]})
        seen[key] += 1
    return items


def _label(path: Path | None, spec: str) -> str:
    if path is None:
        return spec
    path = path.resolve()
    return f"{path.parent.name}/{path.name}" if path.name in ("final", "model") else path.name


def _unique(label: str, taken: set[str]) -> str:
    candidate, n = label, 2
    while candidate in taken:
        candidate, n = f"{label}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:80] or "_"
