"""The `uiray` command. Each subcommand is a thin shell over a library function that jobs/ calls too.

Only commands that work are registered; later stages add theirs here when they land.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from uiray.config import (
    ConfigError,
    DataConfig,
    GenerateConfig,
    RenderConfig,
    RewardConfig,
    load_config,
    save_config,
)
from uiray.labels.store import LabelError
from uiray.logs import ENV, LEVELS, setup_logging
from uiray.models import KNOWN_MODELS, ModelError, is_prepared, known_model_dir, prepare_model

log = logging.getLogger("uiray")


def cmd_generate(args: argparse.Namespace) -> int:
    cfg = load_config(GenerateConfig, args.config, args.overrides)
    from uiray.generation import UIGenerator

    log.info(f"loading {cfg.model.name} in vLLM...")
    generator = UIGenerator(cfg)
    started = time.time()
    [page] = generator.generate([args.prompt], cfg.sampling)
    seconds = time.time() - started
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_config(cfg, out.parent, name=f"{out.name}.config.yaml")
    summary = {
        "output": str(out),
        "model": generator.model_path,
        "html_source": page["html_source"],
        "finish_reason": page["finish_reason"],
        "completion_tokens": page["completion_tokens"],
        "tokens_per_s": round(page["completion_tokens"] / max(seconds, 1e-6), 1),
        "load_s": round(generator.load_seconds, 1),
    }
    if page["html"] is None:
        # Keep what the model said: a reply without a page is still evidence worth reading.
        raw = out.with_name(out.name + ".reply.md")
        raw.write_text(page["reply"])
        log.warning(f"the reply holds no HTML page; raw reply written to {raw}")
        summary["output"] = str(raw)
        print(json.dumps(summary) if args.json else f"no page; reply in {raw}")
        return 1
    out.write_text(page["html"])
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"wrote {out} ({len(page['html'])} chars, {page['completion_tokens']} tokens, "
            f"{summary['tokens_per_s']} tok/s, found in {page['html_source']}, "
            f"finish={page['finish_reason']})"
        )
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    cfg = load_config(RenderConfig, args.config, args.overrides)
    from uiray.render.sandbox import render_html

    path = Path(args.page)
    if not path.is_file():
        raise ConfigError(f"page file not found: {path}")
    result = render_html(path.read_text(errors="replace"), cfg, probe=not args.no_probe)
    screenshot = result.pop("screenshot")
    if args.out and screenshot:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_bytes(screenshot)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        state = "rendered" if result["ok"] else f"FAILED ({result['error']})"
        probe = result["probe"] or {}
        print(f"{path}: {state} in {result['timings']['total']:.0f} ms")
        counts = {k: len(result[k]) for k in ("console_errors", "page_errors", "blocked_requests")}
        print("  " + ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in counts.items()), end="")
        print(f", interactivity {probe.get('interactivity')}")
        if args.out and screenshot:
            print(f"  screenshot: {args.out}")
    return 0 if result["ok"] else 1


def cmd_reward(args: argparse.Namespace) -> int:
    cfg = load_config(RewardConfig, args.config, args.overrides)
    from uiray.page.checklist import ChecklistError, load_checklist
    from uiray.reward.score import score_one

    request = {"prompt": args.prompt, "response": _read(args.response, "response")}
    if args.reference:
        request["reference"] = _read(args.reference, "reference")
    if args.checklist:
        try:
            request["checklist"] = [item.model_dump(exclude_none=True) for item in load_checklist(args.checklist)]
        except ChecklistError as e:
            raise ConfigError(str(e)) from None
    outcome = score_one(request, cfg)
    if args.json:
        print(json.dumps(outcome, indent=2))
        return 0
    breakdown = outcome["breakdown"]
    print(f"reward {outcome['reward']:.3f}  (preset {breakdown['preset']}, page from {outcome['page_source']})")
    for name, value in breakdown["components"].items():
        role = "gate" if name in breakdown["gates"] else f"weight {breakdown['weights'].get(name, 0):.2f}"
        print(f"  {name:<14} {value:.3f}  {role}")
    if breakdown["missing"]:
        print(f"  not available: {', '.join(breakdown['missing'])}")
    for issue in outcome["issues"]:
        print(f"  - {issue}")
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    cfg = load_config(DataConfig, args.config, args.overrides)
    from uiray.data.pipeline import run_data_stage

    stats = run_data_stage(cfg)
    print(json.dumps({k: stats[k] for k in ("rows_in", "kept", "duplicates", "filtered", "quarantined",
                                            "counts_add_up", "outputs", "seconds")}))  # fmt: skip
    return 0 if stats["counts_add_up"] else 1


def cmd_sft(args: argparse.Namespace) -> int:
    from uiray.config import SFTConfig
    from uiray.train.sft import run_sft

    summary = run_sft(load_config(SFTConfig, args.config, args.overrides))
    print(json.dumps({k: v for k, v in summary.items() if k != "metrics"}))
    return 0


def cmd_dpo(args: argparse.Namespace) -> int:
    from uiray.config import DPOConfig
    from uiray.train.dpo import run_dpo

    summary = run_dpo(load_config(DPOConfig, args.config, args.overrides))
    print(json.dumps({k: v for k, v in summary.items() if k != "metrics"}))
    return 0


def cmd_grpo(args: argparse.Namespace) -> int:
    from uiray.rl.config import GRPOConfig
    from uiray.rl.driver import run_grpo_job

    summary = run_grpo_job(load_config(GRPOConfig, args.config, args.overrides))
    print(json.dumps(summary))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from uiray.serving.config import ServeConfig
    from uiray.serving.run import serve_app

    overrides = list(args.overrides)
    if args.model:
        overrides.append(f"model.name={args.model}")
    overrides += [f"adapters.{spec.split('=', 1)[0]}={spec.split('=', 1)[1]}" for spec in args.adapter or []]
    if args.port is not None:
        overrides.append(f"port={args.port}")
    serve_app(load_config(ServeConfig, args.config, overrides), block=None if args.wait is None else args.wait)
    return 0


def cmd_pipeline(args: argparse.Namespace) -> int:
    from uiray.pipeline import (
        ROOT,
        PipelineConfig,
        Progress,
        StageJobs,
        plan_pipeline,
        results_table,
        run_pipeline,
        select,
    )

    cfg = load_config(PipelineConfig, args.config or str(ROOT / "configs" / "pipeline.yaml"), args.overrides)
    plans = plan_pipeline(cfg)
    chosen = select(plans, start=args.start, until=args.until, only=args.only.split(",") if args.only else None)
    started = time.time()
    show = logging.getLogger("uiray.pipeline").info
    jobs = StageJobs(cfg, Progress(chosen, Path(cfg.output_dir) / "pipeline", show))
    try:
        report = run_pipeline(plans, chosen, jobs, log=show)
    finally:
        jobs.close()
    summary = {"stages": report, "minutes": round((time.time() - started) / 60, 1)}
    evaluated = next((p for p in plans if p.name == "eval"), None)
    if evaluated is not None and (evaluated.output_dir / "summary.json").is_file():
        table = results_table(evaluated.output_dir, [Path(m).name for m in evaluated.config.models])
        (Path(cfg.output_dir) / "pipeline").mkdir(parents=True, exist_ok=True)
        (Path(cfg.output_dir) / "pipeline" / "results.md").write_text(table)
        print(table)
    print(json.dumps(summary))
    return 0


def _labels(args: argparse.Namespace):
    from uiray.labels.config import LabelsConfig
    from uiray.labels.store import LabelStore

    cfg = load_config(LabelsConfig, args.config, args.overrides)
    return cfg, LabelStore(cfg.db)


def cmd_labels_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from uiray.cluster import free_port
    from uiray.labels.app import labels_app

    cfg, _ = _labels(args)
    port = cfg.port or free_port(cfg.host)
    log.info(f"labels: http://{cfg.host}:{port}/labels/ (labelers open it with #token=<their token>), db {cfg.db}")
    uvicorn.run(labels_app(cfg), host=cfg.host, port=port, log_level="warning")
    return 0


def cmd_labels_labeler(args: argparse.Namespace) -> int:
    cfg, store = _labels(args)
    token = store.add_labeler(args.name)
    print(
        json.dumps({"name": args.name, "token": token, "link": f"http://{cfg.host}:{cfg.port}/labels/#token={token}"})
    )
    return 0


def cmd_labels_tasks(args: argparse.Namespace) -> int:
    from uiray.labels.tasks import add_tasks, build_tasks, read_answers, sample_answers

    if not args.answers and not args.model:
        raise ConfigError("give --answers (a file or directory of answers) and/or --model with --prompts")
    if args.model:
        args.overrides = [*args.overrides, f"generation.model.name={args.model}"]
    cfg, store = _labels(args)
    answers = read_answers(args.answers) if args.answers else {}
    if args.model:
        from uiray.eval.prompts import load_prompts

        prompts = [p["prompt"] for p in load_prompts(args.prompts or "heldout", args.limit)]
        for prompt, sampled in sample_answers(prompts, cfg).items():
            answers.setdefault(prompt, []).extend(sampled)
    tasks = build_tasks(answers, cfg)
    ids = add_tasks(store, tasks)
    controls = sum(any(c.control_of is not None for c in candidates) for _, candidates in tasks)
    print(json.dumps({"tasks": len(ids), "with_control": controls, "db": cfg.db}))
    return 0


def cmd_labels_report(args: argparse.Namespace) -> int:
    from uiray.labels.export import labeler_report

    cfg, store = _labels(args)
    print(json.dumps(labeler_report(store, cfg), indent=2))
    return 0


def cmd_labels_export(args: argparse.Namespace) -> int:
    from uiray.labels.export import export

    cfg, store = _labels(args)
    print(json.dumps(export(store, cfg, args.output)))
    return 0


def eval_overrides(args: argparse.Namespace) -> list[str]:
    """--models and --replies as config overrides. argparse's nargs="+" also takes the key=value overrides
    that follow the models (`--models a b limit=5`): those are overrides, not models."""
    models = [m for m in args.models or [] if "=" not in m]
    overrides = [m for m in args.models or [] if "=" in m] + list(args.overrides)
    if models:
        overrides.append(f"models=[{','.join(models)}]")
    if args.replies:
        overrides.append(f"replies={args.replies}")
        if not models and not any(o.startswith("models=") for o in overrides):
            overrides.append("models=[]")  # given replies alone, unless models are named too
    return overrides


def cmd_eval(args: argparse.Namespace) -> int:
    from uiray.config import EvalConfig
    from uiray.eval.run import run_eval

    summary = run_eval(load_config(EvalConfig, args.config, eval_overrides(args)))
    table = {model: {k: row[k] for k in ("reward", "reward_ci", "render_ok", "page_found")}
             for model, row in summary["metrics"].items()}  # fmt: skip
    print(json.dumps({"metrics": table, "pairwise": summary["pairwise"], "timing": summary["timing"],
                      "rejected_replies": len(summary["rejected_replies"])}))  # fmt: skip
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from uiray.train.merge import merge_adapter

    out = merge_adapter(args.adapter, args.output, dtype=args.dtype)
    print(f"merged weights in {out}")
    return 0


def _read(path: str, what: str) -> str:
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"{what} file not found: {file}")
    return file.read_text(errors="replace")


def cmd_model_prepare(args: argparse.Namespace) -> int:
    for name in args.names or list(KNOWN_MODELS):
        print(prepare_model(name, force=args.force))
    return 0


def cmd_model_list(args: argparse.Namespace) -> int:
    for model in KNOWN_MODELS.values():
        path = known_model_dir(model.name)
        state = f"prepared at {path}" if is_prepared(path) else "not prepared (uiray model prepare)"
        print(f"{model.name}\n  {model.description}\n  source: {model.source}\n  {state}")
    print("Any Hugging Face id or local checkpoint directory also works as `model.name`.")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from uiray.doctor import run_checks

    return run_checks()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="uiray", description=__doc__.splitlines()[0])
    parser.add_argument("--log-level", choices=LEVELS, type=str.upper,
                        help=f"uiray's messages on stderr (default: ${ENV}, else INFO)")  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = sub.add_parser("generate", help="generate one HTML page from a prompt with vLLM")
    gen.add_argument("prompt", help="what the page should be, e.g. 'a pomodoro timer'")
    gen.add_argument("-o", "--output", default="outputs/generate/page.html", help="HTML file to write")
    gen.add_argument("--config", help="YAML config (default: built-in defaults; see configs/generate.yaml)")
    gen.add_argument("--json", action="store_true", help="print a JSON summary")
    gen.add_argument("overrides", nargs="*", help="dotted overrides, e.g. sampling.temperature=0.2")
    gen.set_defaults(func=cmd_generate)

    render = sub.add_parser("render", help="render an HTML file in the Chromium sandbox and probe its controls")
    render.add_argument("page", help="HTML file to render")
    render.add_argument("--out", help="write the full-page PNG screenshot here")
    render.add_argument("--json", action="store_true", help="print the RenderResult as JSON (no PNG bytes)")
    render.add_argument("--no-probe", action="store_true", help="skip the interaction probe")
    render.add_argument("--config", help="YAML with RenderConfig fields (viewport, timeouts, limits)")
    render.add_argument("overrides", nargs="*", help="overrides, e.g. viewport_width=390 load_timeout_s=10")
    render.set_defaults(func=cmd_render)

    reward = sub.add_parser("reward", help="score a model reply: render, probe, reward components, total")
    reward.add_argument("--prompt", default="", help="the user prompt the reply answers (for the judge)")
    reward.add_argument("--response", required=True, help="file with the model's reply (markdown, HTML or TSX)")
    reward.add_argument("--reference", help="reference HTML page for DOM similarity")
    reward.add_argument("--checklist", help="checklist JSON (see uiray/reward/checklist.py)")
    reward.add_argument("--json", action="store_true", help="print the full outcome (RewardBreakdown) as JSON")
    reward.add_argument("--config", help="YAML with RewardConfig fields (preset, judge, render, ...)")
    reward.add_argument("overrides", nargs="*", help="overrides, e.g. preset=frontcoder judge.enabled=true")
    reward.set_defaults(func=cmd_reward)

    data = sub.add_parser("data", help="raw corpus -> SFT / DPO / RL sets on Ray Data (validate, dedup, score)")
    data.add_argument("--config", help="YAML with DataConfig fields (default: configs/data.yaml's defaults)")
    data.add_argument("overrides", nargs="*", help="overrides, e.g. embedded_rows=500 inputs=[data/my.jsonl]")
    data.set_defaults(func=cmd_data)

    for stage, what in (
        ("sft", "supervised fine-tuning (or text-mode pre-training) on Ray Train"),
        ("dpo", "direct preference optimisation on the data stage's pairs, on Ray Train"),
    ):
        stage_parser = sub.add_parser(stage, help=what)
        stage_parser.add_argument("--config", help=f"YAML with {stage.upper()}Config fields (see configs/{stage}.yaml)")
        stage_parser.add_argument("overrides", nargs="*", help="overrides, e.g. train.lr=2e-5 scaling.strategy=zero2")
        stage_parser.set_defaults(func=cmd_sft if stage == "sft" else cmd_dpo)

    grpo = sub.add_parser("grpo", help="online RL (GRPO): vLLM rollouts scored in the browser, weight sync, on Ray")
    grpo.add_argument("--config", help="YAML with GRPOConfig fields (configs/grpo.yaml; recipes in configs/grpo/)")
    grpo.add_argument("overrides", nargs="*", help="overrides, e.g. steps=50 max_staleness=0 model.name=outputs/m")
    grpo.set_defaults(func=cmd_grpo)

    evaluate = sub.add_parser("eval", help="score models (or given replies) on held-out UI prompts; HTML report")
    evaluate.add_argument("--models", nargs="+", help="model names, checkpoint/adapter dirs or run dirs (outputs/sft)")
    evaluate.add_argument("--replies", help="jsonl of {prompt, model, reply} to score without generating")
    evaluate.add_argument("--config", help="YAML with EvalConfig fields (see configs/eval.yaml)")
    evaluate.add_argument("overrides", nargs="*", help="overrides, e.g. limit=20 sampling.n=4 scorers=2")
    evaluate.set_defaults(func=cmd_eval)

    pipe = sub.add_parser("pipeline", help="data -> SFT -> DPO -> GRPO -> eval; skips what is done, resumes the rest")
    pipe.add_argument(
        "--config",
        help="YAML with PipelineConfig fields (default: configs/pipeline.yaml, the laptop "
        "run; configs/recipes/ for GPU clusters)",
    )
    pipe.add_argument("--from", dest="start", help="first stage to run (earlier ones must be done)")
    pipe.add_argument("--until", help="last stage to run")
    pipe.add_argument("--only", help="comma-separated stages to run, e.g. sft,dpo")
    pipe.add_argument("overrides", nargs="*", help="overrides, e.g. model=outputs/m 'overrides.sft=[train.lr=1e-4]'")
    pipe.set_defaults(func=cmd_pipeline)

    srv = sub.add_parser("serve", help="OpenAI-compatible server on Ray Serve + /v1/preview + playground at /")
    srv.add_argument("--config", help="YAML with ServeConfig fields (configs/serve.yaml)")
    srv.add_argument("--model", help="known name, checkpoint, peft adapter or run directory (outputs/sft)")
    srv.add_argument("--adapter", action="append", metavar="NAME=DIR",
                     help="a LoRA adapter on the same base, requested as <model>:<NAME>; repeatable")  # fmt: skip
    srv.add_argument("--port", type=int, help="HTTP port (0: a free one)")
    srv.add_argument("--wait", action=argparse.BooleanOptionalAction, default=None,
                     help="stay up until Ctrl-C (default: when the Ray cluster is this command's own)")  # fmt: skip
    srv.add_argument("overrides", nargs="*", help="overrides, e.g. replicas.max_replicas=4 max_concurrent=32")
    srv.set_defaults(func=cmd_serve)

    merge = sub.add_parser("merge", help="merge a LoRA adapter into its base model (full weights for serving)")
    merge.add_argument("adapter", help="adapter directory, e.g. outputs/sft/final")
    merge.add_argument("-o", "--output", required=True, help="directory for the merged model")
    merge.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float16", "float32"])
    merge.set_defaults(func=cmd_merge)

    labels = sub.add_parser("labels", help="human rankings of rendered answers: tasks, the ranking page, export")
    labels_sub = labels.add_subparsers(dest="labels_command", required=True, metavar="ACTION")
    actions = {
        "serve": ("the ranking page and its API at /labels/ (also inside `uiray serve`)", cmd_labels_serve),
        "labeler": ("add a labeler; prints their token and link", cmd_labels_labeler),
        "tasks": ("make tasks from answers and/or model samples, with hidden controls", cmd_labels_tasks),
        "report": ("per labeler: controls ranked right, trusted or why not", cmd_labels_report),
        "export": ("trusted labels as DPO pairs (dpo.jsonl) and critiques as prompts (refine.jsonl)",
                   cmd_labels_export),
    }  # fmt: skip
    for action, (text, func) in actions.items():
        cmd = labels_sub.add_parser(action, help=text)
        cmd.add_argument("--config", help="YAML with LabelsConfig fields (docs/reference/labels.md)")
        if action == "labeler":
            cmd.add_argument("name", help="the labeler's name")
        if action == "tasks":
            cmd.add_argument("--answers", help="answers to rank: a file or directory `uiray data` reads (its outputs)")
            cmd.add_argument("--model", help="sample candidates from this model (generation.sampling.n per prompt)")
            cmd.add_argument("--prompts", help="prompts for --model: 'heldout' or a jsonl with `prompt`")
            cmd.add_argument("--limit", type=int, help="use only this many prompts")
        if action == "export":
            cmd.add_argument("-o", "--output", default="outputs/labels", help="directory for dpo.jsonl, refine.jsonl")
        cmd.add_argument("overrides", nargs="*", help="overrides, e.g. db=labels.sqlite min_agreement=0.9")
        cmd.set_defaults(func=func)

    model = sub.add_parser("model", help="prepare and list base models")
    model_sub = model.add_subparsers(dest="model_command", required=True, metavar="ACTION")
    prep = model_sub.add_parser("prepare", help="build known models into the cache and print their paths")
    prep.add_argument("names", nargs="*", help="models to prepare (default: all known)")
    prep.add_argument("--force", action="store_true", help="rebuild even if prepared")
    prep.set_defaults(func=cmd_model_prepare)
    model_sub.add_parser("list", help="show known models and their state").set_defaults(func=cmd_model_list)

    sub.add_parser("doctor", help="check the environment and say what to fix").set_defaults(func=cmd_doctor)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    # Overrides may come after options (`generate "a timer" -o t.html sampling.n=2`), which argparse
    # leaves unparsed: accept those leftovers that look like key=value, reject anything else.
    args, leftovers = parser.parse_known_args(argv)
    unknown = [x for x in leftovers if x.startswith("-") or "=" not in x or not hasattr(args, "overrides")]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if leftovers:
        args.overrides = [*args.overrides, *leftovers]
    if args.log_level:
        os.environ[ENV] = args.log_level  # Ray workers and actors read it (uiray/cluster.py passes it on)
    setup_logging()
    # vLLM logs to stdout by default; a command's stdout is its result (--json)
    os.environ.setdefault("VLLM_LOGGING_STREAM", "ext://sys.stderr")
    try:
        return args.func(args)
    except (ConfigError, ModelError, LabelError) as e:
        print(f"uiray: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
