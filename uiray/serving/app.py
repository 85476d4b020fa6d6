"""The Serve application: Ray Serve LLM's OpenAI server plus uiray's preview, playground and guard.

    serve run serving/config.yaml                      # import_path uiray.serving.app:build
    uiray serve --model outputs/sft                    # the same app from the command line

Three deployments:

    UirayIngress   OpenAiIngress (Ray Serve LLM's /v1/models, /v1/chat/completions, /v1/completions) with
                   /v1/preview, the playground at /, /healthz, /readyz; Guard wraps it (key, size, 429, log)
    LLMServer      Ray Serve LLM's vLLM engine, autoscaled; LoRA adapters load from local directories
    Previewer      RewardWorker (one sandboxed Chromium each) on the `render` resource

Ray Serve LLM only loads adapters from cloud storage (its dynamic_lora_loading_path takes s3://, gs://, ...),
so LocalLoraLoader hands it the adapter directories that `uiray sft/dpo/grpo` write. And its /v1/models lists
adapters only from that cloud path, so the ingress lists ours itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import time
from importlib import resources
from pathlib import Path

from fastapi import HTTPException, Request
from ray import serve

# Ray Serve LLM's public API (ray.serve.llm) builds only its stock app; composing our own ingress and loading
# local adapters needs these five pieces of its internals (checked against Ray 2.60, pinned in pyproject).
from ray.llm._internal.common.models import global_id_manager  # noqa: PLC2701
from ray.llm._internal.serve.core.configs.llm_config import DiskMultiplexConfig  # noqa: PLC2701
from ray.llm._internal.serve.core.configs.openai_api_models import (  # noqa: PLC2701
    ChatCompletionRequest,
    ModelList,
    to_model_metadata,
)
from ray.llm._internal.serve.core.ingress.ingress import DEFAULT_ENDPOINTS, init  # noqa: PLC2701
from ray.llm._internal.serve.utils.lora_serve_utils import LoraModelLoader  # noqa: PLC2701
from ray.serve.llm import LLMConfig, build_llm_deployment
from ray.serve.llm.ingress import OpenAiIngress, make_fastapi_ingress
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, JSONResponse, Response

from uiray.config import ConfigError
from uiray.labels.app import add_error_handlers, labels_router
from uiray.reward.actors import RewardWorker
from uiray.serving.config import ServeConfig
from uiray.serving.guard import Guard, error_body
from uiray.serving.models import ServedModels, resolve_served
from uiray.serving.preview import PreviewError, Screenshots, as_reply, extracted_code, parse_request

log = logging.getLogger("uiray.serve")

ADAPTERS_ENV = "UIRAY_SERVE_ADAPTERS"
"""JSON {name: directory} in the engine replicas' environment: what LocalLoraLoader may load."""


class LocalLoraLoader(LoraModelLoader):
    """Loads `<model>:<name>` from the adapter directory configured for `name`; an unknown name is a 404."""

    async def load_model_from_config(self, lora_model_id, llm_config):
        name = lora_model_id.split(":", 1)[1]
        path = json.loads(os.environ.get(ADAPTERS_ENV, "{}")).get(name)
        if path is None:
            raise HTTPException(404, f'no adapter "{name}" on this server (see /v1/models)')
        return DiskMultiplexConfig(model_id=lora_model_id, max_total_tokens=None, local_path=path,
                                   lora_assigned_int_id=global_id_manager.next())  # fmt: skip


class UirayIngress(OpenAiIngress):
    """Ray Serve LLM's ingress plus the preview, playground and probe routes (routes: ENDPOINTS)."""

    def __init__(self, llm_deployments, model_cards, *, previewer, settings: dict, adapters: list[str], **kwargs):
        super().__init__(llm_deployments, model_cards, **kwargs)
        self.previewer = previewer
        self.settings = ServeConfig.model_validate(settings)
        self.adapters = adapters
        self.screenshots = Screenshots(self.settings.preview.screenshots_kept)
        self.page = _playground_page(self.settings)

    async def models(self) -> ModelList:
        listed = await super().models()
        [base] = list(self._model_cards.values())
        cards = [base.model_copy(update={"id": f"{base.id}:{name}"}) for name in self.adapters]
        return ModelList(data=[*listed.data, *cards])

    async def healthz(self) -> dict:
        return {"status": "ok"}

    async def readyz(self) -> Response:
        """200 once every engine replica answers its health check (within 10 s), else 503."""
        try:
            for handle in self._default_serve_handles.values():
                await asyncio.wait_for(handle.check_health.remote(), 10)
        except Exception as e:
            return _error(503, f"engine not ready: {type(e).__name__}: {e}"[:300], "service_unavailable")
        return JSONResponse({"status": "ready", "models": list(self._model_cards)})

    async def playground(self) -> HTMLResponse:
        # The playground's own scripts may call this server; a page it previews runs in a sandboxed iframe
        # whose srcdoc inherits this policy and adds its own (see playground.html).
        # frame-src 'none': the iframe's srcdoc is not fetched, so it still loads, but a previewed page that
        # navigates its frame elsewhere (location = 'http://...') is blocked; its own sandbox stops the rest.
        policy = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' "
                  "blob: data:; connect-src 'self'; frame-src 'none'; base-uri 'none'; form-action 'none'")  # fmt: skip
        return HTMLResponse(self.page, headers={"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff"})

    async def preview(self, request: Request) -> Response:
        try:
            body = parse_request(await request.json(), self.settings.preview.max_html_chars)  # Guard checked it
            return JSONResponse(await self._preview(body, request))
        except PreviewError as e:
            return _error(e.status, str(e), "invalid_request_error")

    async def screenshot(self, shot_id: str) -> Response:
        png = self.screenshots.get(shot_id)
        if png is None:
            return _error(404, f"no screenshot {shot_id} (only the last few are kept)", "not_found_error")
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=600"})

    async def _preview(self, body: dict, request: Request) -> dict:
        started = time.perf_counter()
        model, reply = None, None
        if body["kind"] == "prompt":
            model, reply = await self._generate(body, request)
        else:
            reply = as_reply(body["kind"], body[body["kind"]])
        request = {"prompt": body.get("prompt") or "", "response": reply, "checklist": body.get("checklist"),
                   "keep_screenshot": True}  # fmt: skip
        [outcome] = await self.previewer.score.remote([request])
        png = outcome.pop("screenshot", None)
        code, language = extracted_code(reply)
        return {
            "model": model,
            "reply": reply if body["kind"] == "prompt" else None,
            "code": code,
            "language": language,
            "page_source": outcome["page_source"],
            "reward": outcome["reward"],
            "breakdown": outcome["breakdown"],
            "issues": outcome["issues"],
            "render": outcome["render"],
            "checklist": outcome["checklist"],
            "error": outcome["error"],
            "screenshot_url": f"/v1/screenshots/{self.screenshots.add(png)}" if png else None,
            "seconds": round(time.perf_counter() - started, 3),
        }

    async def _generate(self, body: dict, request: Request) -> tuple[str, str]:
        """One chat completion through this ingress's own path (the model's 404s and 400s come back as is)."""
        sampling = self.settings.preview.sampling
        system = self.settings.system_prompt
        chat = ChatCompletionRequest(
            model=body.get("model") or next(iter(self._model_cards)),
            messages=[*([{"role": "system", "content": system}] if system else []),
                      {"role": "user", "content": body["prompt"]}],
            max_tokens=body.get("max_tokens") or sampling.max_tokens,
            temperature=body.get("temperature", sampling.temperature),
            top_p=sampling.top_p,
            seed=body.get("seed", sampling.seed),
        )  # fmt: skip
        answer = await self.chat(chat, request)
        data = json.loads(answer.body)
        return data["model"], data["choices"][0]["message"]["content"]


ENDPOINTS = {
    **{name: DEFAULT_ENDPOINTS[name] for name in ("models", "model_data", "chat", "completions")},
    "healthz": lambda app: app.get("/healthz"),
    "readyz": lambda app: app.get("/readyz"),
    "playground": lambda app: app.get("/"),
    "preview": lambda app: app.post("/v1/preview"),
    "screenshot": lambda app: app.get("/v1/screenshots/{shot_id}"),
}


def build(args: dict) -> serve.Application:
    """The application for `serve run` / `serve deploy` (args: a ServeConfig as a dict) and `uiray serve`."""
    cfg = ServeConfig.model_validate(args)
    served = resolve_served(cfg)
    gpu = _use_gpu(cfg)
    _check_render_resource(cfg)
    engine_config = llm_config(cfg, served, gpu)
    engine = build_llm_deployment(engine_config, bind_kwargs={"model_downloader": LocalLoraLoader})
    previewer = serve.deployment(
        RewardWorker, name="Previewer", num_replicas=cfg.preview.workers, max_ongoing_requests=16,
        ray_actor_options={"num_cpus": 0, "resources": {"render": 1}},
    ).bind(cfg.preview.reward.model_dump())  # fmt: skip
    app = init()
    app.add_exception_handler(StarletteHTTPException, _openai_error)
    if cfg.labels is not None:  # the ranking page and its API, next to the playground
        # an absolute path: the ingress replica's working directory is not this one
        labels = cfg.labels.model_copy(update={"db": str(Path(cfg.labels.db).resolve())})
        app.include_router(labels_router(labels))
        add_error_handlers(app)
    app.add_middleware(
        Guard,
        api_key=os.environ.get(cfg.api_key_env) or None,
        max_concurrent=cfg.max_concurrent,
        max_body_bytes=cfg.max_body_bytes,
    )  # fmt: skip  (added last: runs first)
    ingress = make_fastapi_ingress(UirayIngress, endpoint_map=ENDPOINTS, app=app)
    # One ingress replica: it holds the screenshots and the in-flight count. The engines are what scale.
    return serve.deployment(
        ingress, name="UirayIngress", num_replicas=1, max_ongoing_requests=cfg.max_concurrent + 16,
        ray_actor_options={"num_cpus": 0},
    ).bind(
        llm_deployments={served.model_id: engine},
        model_cards={served.model_id: to_model_metadata(served.model_id, engine_config)},
        previewer=previewer, settings=cfg.model_dump(), adapters=list(served.adapters), lora_paths={},
    )  # fmt: skip


def llm_config(cfg: ServeConfig, served: ServedModels, gpu: bool) -> LLMConfig:
    e = cfg.engine
    engine_kwargs = {"dtype": cfg.model.dtype, "max_model_len": e.max_model_len, "enforce_eager": e.enforce_eager,
                     "seed": e.seed, "trust_remote_code": cfg.model.trust_remote_code}  # fmt: skip
    env = {"HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1"), ADAPTERS_ENV: json.dumps(served.adapters)}
    if gpu:
        engine_kwargs |= {"gpu_memory_utilization": e.gpu_memory_utilization,
                          "tensor_parallel_size": e.tensor_parallel_size}  # fmt: skip
    else:
        # vLLM's CPU backend sizes its KV cache as a fraction of RAM unless told bytes, and pins OpenMP threads
        # to cores it assumes are its own; a replica shares them with Ray, the browsers and other replicas.
        engine_kwargs["kv_cache_memory_bytes"] = int(e.kv_cache_gib * 1024**3)
        env["VLLM_CPU_OMP_THREADS_BIND"] = "nobind"
    if served.adapters:
        engine_kwargs |= {"enable_lora": True, "max_lora_rank": served.max_lora_rank,
                          "max_loras": min(len(served.adapters), 4)}  # fmt: skip
    r = cfg.replicas
    deployment = {
        "autoscaling_config": {"min_replicas": r.min_replicas, "max_replicas": r.max_replicas,
                               "initial_replicas": max(r.min_replicas, 1),
                               "target_ongoing_requests": r.target_ongoing_requests},
        "max_ongoing_requests": r.max_ongoing_requests,
    }  # fmt: skip
    if not gpu:
        # The engine's own CPU bundle is its compute; the replica actor beside it only forwards requests.
        deployment["ray_actor_options"] = {"num_cpus": 0}
    return LLMConfig(
        model_loading_config={"model_id": served.model_id, "model_source": served.base_path},
        accelerator_config=None if gpu else {"kind": "cpu"},
        engine_kwargs=engine_kwargs,
        lora_config={"max_num_adapters_per_replica": len(served.adapters)} if served.adapters else None,
        deployment_config=deployment,
        runtime_env={"env_vars": env},
    )


def _use_gpu(cfg: ServeConfig) -> bool:
    if cfg.device != "auto":
        return cfg.device == "gpu"
    import ray

    if ray.is_initialized():
        return ray.cluster_resources().get("GPU", 0) > 0
    return shutil.which("nvidia-smi") is not None


def _check_render_resource(cfg: ServeConfig) -> None:
    """Fail now, not by waiting forever for a browser replica that no node can host."""
    import ray

    if not ray.is_initialized():
        return
    slots = ray.cluster_resources().get("render", 0)
    if slots < cfg.preview.workers:
        raise ConfigError(
            f"preview.workers={cfg.preview.workers} browser replicas need that many units of the `render` "
            f"resource; the cluster has {slots:g}. Start it with `ray start --head --resources "
            f"'{{\"render\": 2}}'` (cluster.yaml gives render to CPU workers), or let `uiray serve` start one."
        )


def _playground_page(settings: ServeConfig) -> str:
    """playground.html with the system prompt and sampling the preview uses filled in."""
    page = resources.files("uiray.serving").joinpath("playground.html").read_text()
    filled = {"system_prompt": settings.system_prompt, "sampling": settings.preview.sampling.model_dump()}
    return page.replace("/*SETTINGS*/null", json.dumps(filled).replace("<", "\\u003c"))


async def _openai_error(request: Request, e: StarletteHTTPException) -> Response:
    """FastAPI answers its HTTPExceptions (unknown model, unknown route) as {"detail": ...}; OpenAI clients read
    error.message."""
    kind = {401: "authentication_error", 404: "not_found_error"}.get(e.status_code, "invalid_request_error")
    return _error(e.status_code, str(e.detail), kind)


def _error(status: int, message: str, kind: str) -> Response:
    return Response(error_body(status, message, kind), status_code=status, media_type="application/json")
