"""Stage configs: pydantic models, YAML files and dotted command-line overrides.

Every field has a one-line docstring (it becomes the field's description) and a validated range, so a
typo'd key or an out-of-range value fails when the config is loaded, with the field's dotted name in
the message. This module imports no torch, vllm or ray: configs are read on the head node and in tests.

    cfg = load_config(SFTConfig, "configs/sft.yaml", ["train.lr=2e-5"])
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

DEFAULT_MODEL = "smollm2-135m-instruct"

UI_SYSTEM_PROMPT = (
    "You are an expert front-end developer. Answer with one complete, self-contained HTML file "
    "(inline CSS and JavaScript) in a single ```html code block. The page must work when opened "
    "directly in a browser."
)


class Strict(BaseModel):
    """Base for every config section: unknown keys are errors, docstrings become descriptions."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, validate_assignment=True)


class ModelConfig(Strict):
    name: str = DEFAULT_MODEL
    """Hugging Face id, local checkpoint directory, or a known name from `uiray model list`."""
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "bfloat16"
    """Weights dtype for training and inference."""
    trust_remote_code: bool = False
    """Allow model code from the checkpoint directory (needed by a few architectures)."""


class EngineConfig(Strict):
    """vLLM engine settings (the same engine runs `uiray generate`, rollouts and serving)."""

    max_model_len: int = Field(4096, ge=128, le=262144)
    """Longest prompt + completion in tokens."""
    enforce_eager: bool = True
    """Skip torch.compile / CUDA graphs: starts in seconds instead of minutes, decodes a bit slower."""
    in_process: bool = True
    """Run the engine inside this process (no engine-core subprocess); set False for throughput serving."""
    kv_cache_gib: float = Field(2.0, gt=0, le=1024)
    """KV-cache size on CPU (VLLM_CPU_KVCACHE_SPACE); ignored on GPU."""
    gpu_memory_utilization: float = Field(0.85, gt=0, le=1)
    """Fraction of GPU memory vLLM may take; ignored on CPU."""
    tensor_parallel_size: int = Field(1, ge=1, le=64)
    """GPUs per engine."""
    seed: int = Field(0, ge=0)
    """Engine seed (sampling is reproducible for a given seed)."""


class SamplingConfig(Strict):
    temperature: float = Field(0.7, ge=0, le=5)
    """0 is greedy."""
    top_p: float = Field(0.95, gt=0, le=1)
    """Nucleus sampling mass."""
    max_tokens: int = Field(2048, ge=1, le=262144)
    """Most tokens generated per completion."""
    repetition_penalty: float = Field(1.05, gt=0, le=3)
    """Penalty on repeated tokens (small models loop without it)."""
    n: int = Field(1, ge=1, le=256)
    """Completions per prompt."""
    seed: int | None = Field(0, ge=0)
    """Per-request seed; None draws a fresh one."""


class GenerateConfig(Strict):
    """`uiray generate`: one prompt in, one HTML page out."""

    model: ModelConfig = ModelConfig()
    """Model to generate with."""
    engine: EngineConfig = EngineConfig()
    """vLLM engine settings."""
    sampling: SamplingConfig = SamplingConfig()
    """Sampling settings."""
    system_prompt: str = UI_SYSTEM_PROMPT
    """System message sent before the user's prompt ('' sends none)."""
    response_prefix: str = '```html\n<!DOCTYPE html>\n<html lang="en">\n'
    """Start of the assistant's reply, which the model continues; steers small base models into HTML.
    '' lets the model begin freely (what trained models and RL rollouts use)."""


class RenderConfig(Strict):
    """Chromium render sandbox: every step of a hostile page is bounded in time and memory."""

    pages: int = Field(4, ge=1, le=64)
    """Pages rendered concurrently per browser (each in its own context and renderer process)."""
    viewport_width: int = Field(1280, ge=64, le=7680)
    """Viewport width in CSS pixels."""
    viewport_height: int = Field(800, ge=64, le=4320)
    """Viewport height in CSS pixels."""
    max_page_height: int = Field(4000, ge=64, le=32768)
    """Full-page screenshots are cut at this height (a 10 MB DOM is not a 10 MB PNG)."""
    load_timeout_s: float = Field(5.0, gt=0, le=120)
    """Time for the page to load (scripts included) before the render fails."""
    settle_ms: int = Field(50, ge=0, le=10000)
    """Wait after load so that load handlers and CDN scripts (Tailwind) finish styling."""
    step_timeout_s: float = Field(3.0, gt=0, le=120)
    """Bound on every other step (DOM statistics, screenshot, one probe action)."""
    render_timeout_s: float = Field(15.0, gt=0, le=600)
    """Bound on one whole render; past it the page's renderer is killed and the render fails."""
    js_heap_mb: int = Field(256, ge=16, le=16384)
    """V8 heap limit per renderer; allocation bombs crash their own renderer only."""
    renderer_memory_mb: int = Field(1024, ge=64, le=65536)
    """Resident memory above which a renderer process is killed (catches non-heap bombs)."""
    screenshot: bool = True
    """Take a full-page PNG screenshot."""
    probe_max_controls: int = Field(12, ge=1, le=200)
    """Most controls the interaction probe exercises per page."""
    probe_wait_ms: int = Field(60, ge=0, le=5000)
    """Wait after each probe action for handlers, timers and transitions."""
    probe_budget_s: float = Field(6.0, gt=0, le=120)
    """Time budget for probing one page; controls past it are not exercised."""


class JudgeConfig(Strict):
    """An LLM/VLM judge behind any OpenAI-compatible endpoint (vLLM, SGLang, OpenAI, ...). Off by default."""

    enabled: bool = False
    """Call the judge (checklist items in the reward; rubric scores in the data stage)."""
    base_url: str = "http://127.0.0.1:8000/v1"
    """Endpoint root, up to and including /v1."""
    model: str = "judge"
    """Model name sent in each request."""
    api_key_env: str = "OPENAI_API_KEY"
    """Environment variable holding the API key ('' or unset sends none)."""
    vision: bool = False
    """Send the screenshot as an image (needs a VLM); otherwise the judge reads the code only."""
    timeout_s: float = Field(60.0, gt=0, le=3600)
    """Bound on one request."""
    retries: int = Field(3, ge=0, le=20)
    """Retries after a failed or unparseable answer (exponential back-off)."""
    max_concurrency: int = Field(8, ge=1, le=1024)
    """Requests in flight at once."""
    temperature: float = Field(0.0, ge=0, le=2)
    """Judge sampling temperature."""
    max_code_chars: int = Field(40000, ge=1000)
    """The page's code is cut to this many characters in the judge prompt."""


class RewardConfig(Strict):
    """`uiray reward` and the reward actors: render, probe and score a reply."""

    preset: Literal["default", "frontcoder", "react"] = "default"
    """How components combine (see uiray/reward/compose.py)."""
    render: RenderConfig = RenderConfig()
    """Sandbox settings."""
    probe: bool = True
    """Exercise the page's controls (interactivity)."""
    accessibility: bool = True
    """Run axe-core in the page (accessibility)."""
    judge: JudgeConfig = JudgeConfig()
    """Checklist judge (off by default; executable checklist items need no judge)."""
    length_full_tokens: int = Field(12000, ge=1)
    """Length score is 1 up to this many reply tokens (FrontCoder: 12K)."""
    length_zero_tokens: int = Field(16000, ge=2)
    """... and falls linearly to 0 here (FrontCoder: 16K)."""
    item_timeout_s: float = Field(60.0, gt=0, le=3600)
    """Bound on scoring one reply in the reward actors; past it the item gets a failure result."""


class RayConfig(Strict):
    address: str | None = None
    """Cluster to join ('auto', 'ray://…' or host:port); None uses RAY_ADDRESS or starts a local cluster."""
    num_cpus: int | None = Field(None, ge=1)
    """CPUs of the local cluster; None means all of this machine's."""
    object_store_gib: float = Field(2.0, gt=0, le=4096)
    """Object store cap of the local cluster (GiB)."""
    render_slots: int = Field(2, ge=0, le=1024)
    """`render` resource of the local cluster: how many browser actors (RenderWorker/RewardWorker) it hosts.
    On a cluster, nodes declare it themselves (cluster.yaml gives it to the CPU workers)."""


class WandbConfig(Strict):
    mode: Literal["offline", "online", "disabled"] = "offline"
    """offline writes runs under output_dir/wandb for a later `wandb sync`."""
    project: str = "uiray"
    """wandb project name."""


class DedupConfig(Strict):
    shingle_chars: int = Field(5, ge=1, le=64)
    """Character shingle size for MinHash (FrontCoder: 5)."""
    num_perm: int = Field(128, ge=16, le=1024)
    """MinHash permutations (FrontCoder: 128)."""
    threshold: float = Field(0.8, gt=0, lt=1)
    """Jaccard similarity at or above which two documents are near-duplicates."""


class SelectionConfig(Strict):
    """Which scored SFT rows are kept (applied in this order)."""

    min_score: float = Field(0.5, ge=0, le=1)
    """Rows whose score is below this are filtered ('below min_score')."""
    per_category: int | None = Field(None, ge=1)
    """Keep at most this many rows per category (best first); None: no quota."""
    top_k: int | None = Field(None, ge=1)
    """Then keep at most this many rows overall (best first); None: all."""


class PairsConfig(Strict):
    """Preference pairs built without humans (Dojo's perturbation method)."""

    perturbations: list[str] = []
    """Perturbations to use (names in uiray/data/perturb.py); empty means all."""
    per_row: int = Field(2, ge=0, le=16)
    """Rejected variants tried per chosen row (0 turns perturbation pairs off)."""
    min_margin: float = Field(0.05, ge=0, le=1)
    """A pair is kept only when score(chosen) - score(rejected) is at least this (verified by the reward)."""
    from_groups: bool = True
    """Also pair the best and worst scored completions of prompts that have several."""
    seed: int = Field(0, ge=0)
    """Seed for choosing perturbations."""


class RubricConfig(Strict):
    """Rubric scoring by an LLM judge (FrontCoder's 25 weighted dimensions); off unless judge.enabled."""

    judge: JudgeConfig = JudgeConfig()
    """Endpoint; judge.enabled=true turns rubric scoring on."""
    name: Literal["frontcoder"] = "frontcoder"
    """Rubric preset (uiray/data/rubric.py): FrontCoder's 25 weighted dimensions."""
    weight: float = Field(0.5, ge=0, le=1)
    """Share of the final score taken by the rubric when it runs (the rest is the reward)."""
    cache_dir: str | None = None
    """Judge answers are appended here and reused on re-runs (resume); None: <output_dir>/rubric_cache."""


EMBEDDED_ROWS = 1000  # rows of the built-in corpus (uiray/data/embedded_corpus.parquet)


class DataConfig(Strict):
    """`uiray data`: raw corpus to SFT / DPO / RL sets."""

    inputs: list[str] = ["embedded"]
    """jsonl/parquet files or directories (any fsspec URL); 'embedded' is the built-in corpus."""
    embedded_rows: int = Field(EMBEDDED_ROWS, ge=1, le=EMBEDDED_ROWS)
    """Rows of the built-in corpus to read when inputs include 'embedded' (all 1000 by default: every app category
    and style many times, ~36 min on 2 cores; fewer for a quick run). A bigger corpus: tools/build_corpus.py."""
    limit: int | None = Field(None, ge=1)
    """Read at most this many rows (quick runs)."""
    max_row_mb: float = Field(8.0, gt=0)
    """Input rows (jsonl lines, .json array files) larger than this are quarantined unread (a 16K-token page is
    ~64 KB)."""
    output_dir: str = "outputs/data"
    """Where sft/, dpo/, rl/, quarantine/, filtered/, duplicates/, stats.json and report.md are written."""
    output_format: Literal["parquet", "jsonl", "both"] = "parquet"
    """File format of the outputs."""
    model: ModelConfig = ModelConfig()
    """Model whose tokenizer measures lengths."""
    min_tokens: int = Field(64, ge=1)
    """Answers shorter than this are filtered."""
    max_tokens: int = Field(2816, ge=1)
    """Answers longer than this are filtered. The default leaves 256 tokens of train.seq_len (3072) for the system
    prompt, the request and the chat template, so a kept answer trains whole, ending included (FrontCoder keeps
    16,384 with 16K training sequences: raise both together)."""
    dedup: DedupConfig = DedupConfig()
    """Exact + MinHash near-duplicate removal."""
    render_check: bool = True
    """Render and probe every SFT answer; pages that fail the render gate are filtered."""
    reward: RewardConfig = RewardConfig()
    """Reward used to score answers and verify preference pairs (judge-free by default)."""
    scorers: int = Field(1, ge=1, le=1024)
    """Browser actors scoring in parallel (each takes one `render` resource)."""
    rubric: RubricConfig = RubricConfig()
    """Optional LLM rubric scores."""
    selection: SelectionConfig = SelectionConfig()
    """Which scored rows are kept."""
    rl_fraction: float = Field(0.1, ge=0, le=1)
    """Share of selected SFT prompts moved to the RL prompt set (held out from SFT; chosen by prompt hash)."""
    pairs: PairsConfig = PairsConfig()
    """Preference pairs."""
    ray: RayConfig = RayConfig()
    """Cluster to run on."""


class LoraConfig(Strict):
    enabled: bool = True
    """False trains all weights."""
    r: int = Field(16, ge=1, le=4096)
    """LoRA rank (Dojo SFT: 16; Dojo DPO: 256)."""
    alpha: float = Field(32, gt=0)
    """LoRA scaling numerator."""
    dropout: float = Field(0.05, ge=0, lt=1)
    """Dropout on the LoRA input."""
    target_modules: list[str] = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    """Module names that get adapters."""


class OptimConfig(Strict):
    lr: float = Field(1e-4, gt=0, le=1)
    """Peak learning rate."""
    weight_decay: float = Field(0.0, ge=0, le=1)
    """AdamW weight decay."""
    betas: tuple[Annotated[float, Field(ge=0, lt=1)], Annotated[float, Field(ge=0, lt=1)]] = (0.9, 0.999)
    """AdamW's (beta1, beta2); Dojo trains with (0.9, 0.95)."""
    warmup_ratio: float = Field(0.03, ge=0, lt=1)
    """Fraction of steps with linear warm-up before the cosine decay."""
    max_grad_norm: float = Field(1.0, gt=0)
    """Gradient clipping norm."""
    epochs: int = Field(1, ge=1)
    """Passes over the training set."""
    max_steps: int | None = Field(None, ge=1)
    """Stop after this many optimizer steps (overrides epochs)."""
    micro_batch_size: int = Field(1, ge=1)
    """Sequences (or packed rows) per worker per forward pass (DPO: pairs)."""
    grad_accum: int = Field(8, ge=1)
    """Micro-batches per optimizer step."""
    seq_len: int = Field(3072, ge=16)
    """Training sequence length (packed row length); every embedded-corpus row (at most 2,891 tokens with the chat
    template) fits whole."""
    too_long: Literal["drop", "cut"] = "drop"
    """A row longer than seq_len: 'drop' it, or 'cut' it (chat: the prompt from the left, then the reply from the
    right, losing its ending; DPO: a window where the replies differ). Either way the driver counts and reports it."""
    gradient_checkpointing: bool = True
    """Recompute each layer's activations in backward instead of keeping them: less memory, ~30% more compute."""


class ScalingConfig(Strict):
    num_workers: int = Field(2, ge=1)
    """Ray Train workers."""
    use_gpu: bool = False
    """One GPU per worker (NCCL) instead of CPU (gloo)."""
    strategy: Literal["ddp", "zero2", "zero3", "fsdp2"] = "ddp"
    """Sharding strategy."""
    cpu_offload: bool = False
    """ZeRO optimizer/parameter offload to CPU."""
    max_failures: int = Field(2, ge=-1)
    """Worker-group restarts from the newest checkpoint after a worker dies (-1: unlimited)."""
    cpus_per_worker: int | None = Field(None, ge=1)
    """CPUs each worker asks Ray for and runs torch with (its thread count). None: the CPUs of the nodes that
    can hold a worker (GPU nodes with use_gpu), shared out among the workers, at most one node's worth."""


class TrainEvalConfig(Strict):
    every: int = Field(50, ge=1)
    """Evaluate every this many optimizer steps (and at the end)."""
    generations: int = Field(2, ge=0, le=64)
    """Held-out prompts answered greedily at each evaluation and scored (HTML validity, render, colours)."""
    max_new_tokens: int = Field(384, ge=8, le=32768)
    """Length cap of those answers."""
    render: bool = True
    """Render the sampled answers in the sandbox (needs Chromium) to report render success."""


class CheckpointConfig(Strict):
    every: int = Field(100, ge=1)
    """Save a checkpoint every this many optimizer steps (and at the end)."""
    keep: int = Field(2, ge=1)
    """Newest checkpoints kept (older ones are deleted; the final one is always kept)."""


class SFTConfig(Strict):
    """`uiray sft`: supervised fine-tuning on the data stage's sft/ set (or continued pre-training on text)."""

    model: ModelConfig = ModelConfig()
    """Base model."""
    mode: Literal["chat", "text"] = "chat"
    """chat: prompt/completion rows, loss on the reply only. text: raw documents (a `text` column), loss on
    every token - continued pre-training on front-end code."""
    train_data: str = "outputs/data/sft"
    """Parquet/jsonl training set (any format `uiray data` reads; a `text` column in text mode)."""
    eval_data: str | None = None
    """Held-out set; None holds out eval_fraction of train_data."""
    eval_fraction: float = Field(0.05, ge=0, lt=1)
    """Share of train_data held out (by id hash) when eval_data is None."""
    mix_data: str | None = None
    """General-purpose chat data mixed into training to limit forgetting (Dojo mixes 1:1)."""
    mix_ratio: float = Field(1.0, ge=0, le=100)
    """mix_data rows per train_data row (rows beyond that are not used; fewer available -> all of them)."""
    system_prompt: str | None = UI_SYSTEM_PROMPT
    """System turn for rows that have none (None: no system turn); use the one you will generate with."""
    output_dir: str = "outputs/sft"
    """Checkpoints, metrics, plots and the resolved config."""
    lora: LoraConfig = LoraConfig()
    """Adapter settings."""
    train: OptimConfig = OptimConfig()
    """Optimisation settings."""
    scaling: ScalingConfig = ScalingConfig()
    """Workers and sharding."""
    packing: bool = True
    """Pack several samples per row (no cross-sample attention); False pads each sample."""
    attn_implementation: Literal["sdpa", "eager"] = "sdpa"
    """Attention kernel of the transformers model."""
    eval: TrainEvalConfig = TrainEvalConfig()
    """Validation loss and sampled generations."""
    checkpoint: CheckpointConfig = CheckpointConfig()
    """Checkpoint cadence."""
    resume: Literal["auto", "never"] = "auto"
    """auto continues from the newest checkpoint in output_dir; never starts over (and refuses a non-empty dir)."""
    seed: int = Field(0, ge=0)
    """Seed of the data order, the held-out split, adapter init and dropout."""
    wandb: WandbConfig = WandbConfig()
    """Experiment logging."""
    ray: RayConfig = RayConfig()
    """Cluster to run on."""


class DPOConfig(Strict):
    """`uiray dpo`: preference optimisation on the data stage's dpo/ pairs."""

    model: ModelConfig = ModelConfig()
    """Policy initialisation (usually the SFT output: a merged model or base model + adapter directory)."""
    train_data: str = "outputs/data/dpo"
    """Parquet/jsonl pairs with prompt/chosen/rejected."""
    eval_data: str | None = None
    """Held-out pairs; None holds out eval_fraction of train_data."""
    eval_fraction: float = Field(0.1, ge=0, lt=1)
    """Share of train_data held out (by prompt hash: pairs of one prompt stay on one side)."""
    system_prompt: str | None = UI_SYSTEM_PROMPT
    """System turn for rows that have none (None: no system turn)."""
    output_dir: str = "outputs/dpo"
    """Checkpoints, metrics and the resolved config."""
    beta: float = Field(0.1, gt=0, le=10)
    """Strength of the KL anchor to the reference (Dojo: 0.1)."""
    precompute_ref: bool | None = None
    """Compute the reference log-probs before training, for the pairs the run will train on (stored in every
    checkpoint). None chooses: yes for full fine-tuning (no adapter to switch off: the only way) and for runs
    over more than one epoch (each pair's reference once instead of once per visit); no for LoRA within one
    epoch, where each step computes its own pairs' reference with the adapter off: the same work, no wait."""
    lora: LoraConfig = LoraConfig(r=256, alpha=512)
    """Adapter settings (Dojo preset r256 / alpha 512)."""
    train: OptimConfig = OptimConfig(lr=1e-6)
    """Optimisation settings (Dojo: lr 1e-6)."""
    scaling: ScalingConfig = ScalingConfig()
    """Workers and sharding."""
    attn_implementation: Literal["sdpa", "eager"] = "sdpa"
    """Attention kernel of the transformers model."""
    eval: TrainEvalConfig = TrainEvalConfig(generations=0)
    """Held-out preference accuracy and margin (and optional sampled generations)."""
    checkpoint: CheckpointConfig = CheckpointConfig()
    """Checkpoint cadence."""
    resume: Literal["auto", "never"] = "auto"
    """auto continues from the newest checkpoint in output_dir; never starts over (and refuses a non-empty dir)."""
    seed: int = Field(0, ge=0)
    """Seed of the data order, the held-out split, adapter init and dropout."""
    wandb: WandbConfig = WandbConfig()
    """Experiment logging."""
    ray: RayConfig = RayConfig()
    """Cluster to run on."""


class EvalConfig(Strict):
    """`uiray eval`: several models (or given replies) on one held-out prompt set, scored in the browser."""

    models: list[str] = [DEFAULT_MODEL]
    """Models to generate with: known names, checkpoint or adapter directories, or run directories of any stage
    (their final/ model, system prompt and training curves); [] with `replies` scores the given replies only."""
    replies: str | None = None
    """A jsonl of {prompt, model, reply} (+ optional id, finish_reason, completion_tokens): answers of any other
    system, scored the same way without generating."""
    prompts: str = "heldout"
    """The prompt set: 'heldout' (shipped with uiray) or a jsonl with `prompt` (+ optional id, checklist,
    reference, category)."""
    limit: int | None = Field(None, ge=1)
    """Use only this many prompts, taken in turn from each category (quick runs)."""
    sampling: SamplingConfig = SamplingConfig(temperature=0.0, n=1, max_tokens=2816)
    """Sampling (n samples per prompt; fixed seeds; greedy by default). max_tokens leaves room for the longest
    answer the data stage keeps (its max_tokens): the embedded corpus's pages run ~1,700-2,350 SmolLM2 tokens,
    so an SFT model that learned them is cut at 1,536 (the earlier default) and scored as truncated."""
    engine: EngineConfig = EngineConfig()
    """vLLM engine settings."""
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "bfloat16"
    """Weights dtype of every generating model."""
    gpus_per_engine: float = Field(0.0, ge=0, le=64)
    """GPUs each model's engine actor asks Ray for (0 on CPU machines)."""
    system_prompt: str | None = None
    """System message; None: a run directory's own, else the default UI prompt ('' sends none)."""
    response_prefix: str = GenerateConfig().response_prefix
    """Start of every reply, continued by the model (the same for every model, so the comparison is fair)."""
    chunk: int = Field(8, ge=1, le=4096)
    """Prompts per generation call: scoring starts as soon as a chunk is answered."""
    reward: RewardConfig = RewardConfig()
    """How answers are scored (preset, judge, render limits)."""
    scorers: int = Field(1, ge=1, le=1024)
    """Browser actors scoring in parallel (each needs one `render` unit)."""
    tie_margin: float = Field(0.02, ge=0, le=1)
    """Per-prompt rewards closer than this count as a tie in the pairwise table."""
    bootstrap: int = Field(1000, ge=100, le=100000)
    """Resamples (of prompts) for the 95 % interval of the mean reward."""
    seed: int = Field(0, ge=0)
    """Seed of the bootstrap."""
    output_dir: str = "outputs/eval"
    """answers.jsonl, summary.json, report.html and its screenshots."""
    ray: RayConfig = RayConfig()
    """Cluster to run on."""


Config = TypeVar("Config", bound=BaseModel)


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads `1e-5` as a float (YAML 1.1 wants `1.0e-5`; everyone writes 1e-5)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$"),
    list("-+0123456789."),
)


def _parse_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)


class ConfigError(ValueError):
    """A config file or override is invalid; the message names the field."""


def load_config(cls: type[Config], path: str | Path | None = None, overrides: Sequence[str] = ()) -> Config:
    """Read YAML (optional), apply `a.b.c=value` overrides, validate into `cls`.

    Both go on top of `cls`'s own defaults, section by section: `sampling.max_tokens=100` changes that one value
    and keeps the rest of the stage's sampling section (say, eval's temperature 0), not the defaults of the
    section's class."""
    data: dict[str, Any] = cls().model_dump(mode="json")
    source = "defaults"
    if path is not None:
        source = str(path)
        try:
            given = _parse_yaml(Path(path).read_text()) or {}
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: not valid YAML: {e}") from None
        if not isinstance(given, dict):
            raise ConfigError(f"{path}: top level must be a mapping of field: value")
        _merge(data, given)
    for item in overrides:
        _apply_override(data, item)
    try:
        return cls.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_describe(e, cls.__name__, source)) from None


def _merge(into: dict[str, Any], given: dict[str, Any]) -> None:
    """Deep-merge `given` into `into`: mappings merge key by key, anything else replaces."""
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _apply_override(data: dict[str, Any], item: str) -> None:
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override {item!r} must look like section.field=value")
    *parents, leaf = key.strip().split(".")
    node = data
    for part in parents:
        if node.get(part) is None:  # absent, or an optional section that is off by default
            node[part] = {}
        child = node[part]
        if not isinstance(child, dict):
            raise ConfigError(f"override {item!r}: {part} is not a section")
        node = child
    # YAML parsing turns "2e-5" into a float, "true" into a bool, "[a, b]" into a list.
    node[leaf] = _parse_yaml(raw) if raw.strip() else ""


def _describe(error: ValidationError, name: str, source: str) -> str:
    lines = [f"invalid {name} ({source}):"]
    for item in error.errors():
        field = ".".join(str(p) for p in item["loc"]) or "<root>"
        message = "unknown field (check the spelling)" if item["type"] == "extra_forbidden" else item["msg"]
        got = "" if item["type"] == "missing" else f" (got {item['input']!r})"
        lines.append(f"  {field}: {message}{got}")
    return "\n".join(lines)


def save_config(cfg: BaseModel, output_dir: str | Path, name: str = "config.yaml") -> Path:
    """Write the resolved config next to a run's outputs, so the run can be repeated exactly."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    path.write_text(yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False))
    return path
