"""Generate UI pages with vLLM: the one generation path for the CLI, rollout actors and serving.

    generator = UIGenerator(GenerateConfig())          # loads the engine once
    [page] = generator.generate(["a pomodoro timer"])  # chat template, sampling, HTML extraction
    page["html"]                                       # None when the reply holds no page

vLLM is imported inside UIGenerator, after the environment it reads at import time is set.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TypedDict

from uiray.config import EngineConfig, GenerateConfig, ModelConfig, SamplingConfig
from uiray.models import adapter_config, resolve_model
from uiray.page.extract import extract_html


class Generation(TypedDict):
    """One completion of one prompt (a stable contract: rollouts and serving return the same)."""

    prompt: str
    reply: str
    html: str | None
    html_source: str | None
    """Where the page was found in the reply (fence, doctype, html, svg, body) or None."""
    finish_reason: str
    """'stop' (end of turn) or 'length' (hit max_tokens: the page may be truncated)."""
    prompt_tokens: int
    completion_tokens: int
    prompt_token_ids: list[int] | None
    """With `token_logprobs`: the tokens the model was given (chat template, system turn, response prefix)."""
    token_ids: list[int] | None
    """With `token_logprobs`: the generated tokens (what RL trains on)."""
    logprobs: list[float] | None
    """With `token_logprobs`: the sampling policy's log-probability of each generated token."""


def engine_environment(engine: EngineConfig) -> dict[str, str]:
    """Environment variables vLLM reads when it is imported / when the engine starts."""
    env = {"VLLM_CPU_KVCACHE_SPACE": f"{max(1, round(engine.kv_cache_gib))}"}
    if engine.in_process:
        env["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
    return env


class UIGenerator:
    """A loaded vLLM engine plus the chat formatting and extraction that turn prompts into pages."""

    def __init__(
        self,
        cfg: GenerateConfig | None = None,
        *,
        model: ModelConfig | None = None,
        engine: EngineConfig | None = None,
        lora_rank: int | None = None,
        worker_extension: str | None = None,
    ):
        """`lora_rank`: serve LoRA adapters up to this rank that arrive later (GRPO's policy); `worker_extension`:
        a class vLLM mixes into its workers (uiray.rl.weight_sync.WeightReceiver for in-place weight reloads)."""
        cfg = cfg or GenerateConfig()
        self.model_cfg = model or cfg.model
        self.engine_cfg = engine or cfg.engine
        self.system_prompt = cfg.system_prompt
        self.response_prefix = cfg.response_prefix
        # A peft adapter directory (uiray sft/dpo output) runs as vLLM LoRA on top of its base model.
        self.adapter = adapter_config(self.model_cfg.name)
        base = self.adapter["base_model_name_or_path"] if self.adapter else self.model_cfg.name
        self.model_path = resolve_model(base)
        self.lora_request = None
        for key, value in engine_environment(self.engine_cfg).items():
            os.environ.setdefault(key, value)

        from vllm import LLM

        started = time.time()
        e = self.engine_cfg
        self.llm = LLM(
            model=self.model_path,
            dtype=self.model_cfg.dtype,
            trust_remote_code=self.model_cfg.trust_remote_code,
            max_model_len=e.max_model_len,
            enforce_eager=e.enforce_eager,
            seed=e.seed,
            tensor_parallel_size=e.tensor_parallel_size,
            gpu_memory_utilization=e.gpu_memory_utilization,
            distributed_executor_backend="uni" if e.in_process else None,
            worker_extension_cls=worker_extension or "",
            **(_lora_options(self.adapter["r"] if self.adapter else lora_rank) if self.adapter or lora_rank else {}),
        )
        if self.adapter:
            from vllm.lora.request import LoRARequest

            self.lora_request = LoRARequest("adapter", 1, str(Path(self.model_cfg.name).resolve()))
        self.load_seconds = time.time() - started

    def messages(self, prompt: str) -> list[dict[str, str]]:
        """The conversation sent for `prompt`; ends with the partial assistant turn when prefixed."""
        system = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        prefix = [{"role": "assistant", "content": self.response_prefix}] if self.response_prefix else []
        return [*system, {"role": "user", "content": prompt}, *prefix]

    def generate(
        self,
        prompts: list[str],
        sampling: SamplingConfig | None = None,
        progress: bool = False,
        token_logprobs: bool = False,
    ) -> list[Generation]:
        """Generate sampling.n completions per prompt (returned prompt-major) and extract their pages;
        `token_logprobs` also returns the token ids and each generated token's log-probability (rollouts)."""
        from vllm import SamplingParams

        s = sampling or SamplingConfig()
        params = SamplingParams(
            n=s.n,
            temperature=s.temperature,
            top_p=s.top_p,
            max_tokens=s.max_tokens,
            repetition_penalty=s.repetition_penalty,
            seed=s.seed,
            logprobs=0 if token_logprobs else None,  # 0: the sampled token's own log-probability only
        )
        conversations = [self.messages(p) for p in prompts]
        prefixed = bool(self.response_prefix)
        outputs = self.llm.chat(
            conversations,
            params,
            use_tqdm=progress,
            add_generation_prompt=not prefixed,
            continue_final_message=prefixed,
            lora_request=self.lora_request,
        )
        results: list[Generation] = []
        for prompt, output in zip(prompts, outputs, strict=True):
            for completion in output.outputs:
                reply = self.response_prefix + completion.text
                found = extract_html(reply)
                results.append(
                    Generation(
                        prompt=prompt,
                        reply=reply,
                        html=found.html if found else None,
                        html_source=found.source if found else None,
                        finish_reason=completion.finish_reason or "stop",
                        prompt_tokens=len(output.prompt_token_ids or []),
                        completion_tokens=len(completion.token_ids),
                        prompt_token_ids=list(output.prompt_token_ids) if token_logprobs else None,
                        token_ids=list(completion.token_ids) if token_logprobs else None,
                        logprobs=_sampled_logprobs(completion) if token_logprobs else None,
                    )
                )
        return results


def _sampled_logprobs(completion) -> list[float]:
    """The log-probability vLLM computed for each token it sampled (one {token: Logprob} dict per step)."""
    return [step[token].logprob for token, step in zip(completion.token_ids, completion.logprobs, strict=True)]


def vllm_lora_rank(rank: int) -> int:
    """The max_lora_rank vLLM needs for adapters up to `rank`: it sizes its LoRA buffers up front and accepts
    powers of two (8 ... 512)."""
    return max(8, 1 << (int(rank) - 1).bit_length())


def _lora_options(rank: int) -> dict:
    # The largest rank the engine will see: the adapter's own, or GRPO's.
    return {"enable_lora": True, "max_lora_rank": vllm_lora_rank(rank), "max_loras": 1}
