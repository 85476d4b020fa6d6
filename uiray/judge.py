"""One client for LLM judges: the checklist judge (uiray/reward/checklist.py) and the rubric judge
(uiray/data/rubric.py) ask any OpenAI-compatible chat-completions endpoint (vLLM, SGLang, OpenAI, ...) through
the official `openai` async client, and parse its answer with their own tolerant parser.

    answer = await ask_judge(cfg, messages, parse, schema)   # JudgeAnswer(value, error, attempts); never raises

- Endpoint, model and key from JudgeConfig (base_url, model, api_key_env); each request bounded by timeout_s.
- Retries (cfg.retries, exponential back-off) on connection errors, timeouts, 5xx/408/409/429 and answers the
  parser rejects; other 4xx are final. The retry loop is ours, not the client's, so an unparseable answer is
  retried like a failed request and `attempts` counts every request.
- Structured output: the request asks for `schema` as a JSON-schema response_format. A server that rejects
  response_format (HTTP 400 naming it) is asked again without it at once, and never with it again in this
  process; the parser reads either answer.
- Requests on one event loop share cfg.max_concurrency (one semaphore per loop and limit).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import weakref
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from uiray.config import JudgeConfig

_LIMITS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_NO_SCHEMA: set[tuple[str, str]] = set()
"""(base_url, model) of endpoints that rejected a JSON-schema response_format."""
_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)


class JudgeAnswer(NamedTuple):
    value: Any | None
    """What `parse` made of the answer; None when there is no usable answer."""
    error: str | None
    """Why there is none: the last failure after all retries."""
    attempts: int
    """Requests made."""


def semaphore(limit: int) -> asyncio.Semaphore:
    """One semaphore per event loop and limit: every judge call on a loop shares max_concurrency."""
    per_loop = _LIMITS.setdefault(asyncio.get_running_loop(), {})
    return per_loop.setdefault(limit, asyncio.Semaphore(limit))


async def ask_judge(
    cfg: JudgeConfig,
    messages: list[dict],
    parse: Callable[[str], Any],
    schema: dict | None = None,
    backoff_s: float = 0.5,
) -> JudgeAnswer:
    """Ask until `parse` accepts an answer (it raises ValueError otherwise) or the retries run out."""
    import openai

    key = os.environ.get(cfg.api_key_env, "") if cfg.api_key_env else ""
    body: dict[str, Any] = {"model": cfg.model, "temperature": cfg.temperature, "messages": messages}
    endpoint = (cfg.base_url, cfg.model)
    error, attempts = "no attempt", 0
    async with openai.AsyncOpenAI(
        base_url=cfg.base_url, api_key=key or "none", timeout=cfg.timeout_s, max_retries=0
    ) as client:
        for attempt in range(cfg.retries + 1):
            if attempt:
                await asyncio.sleep(min(backoff_s * 2 ** (attempt - 1), 30.0))
            with_schema = schema is not None and endpoint not in _NO_SCHEMA
            request = {**body, "response_format": _response_format(schema)} if with_schema else body
            attempts += 1
            try:
                async with semaphore(cfg.max_concurrency):  # held for the request only, not the back-off
                    answer = await asyncio.wait_for(_ask(client, request), cfg.timeout_s)
                return JudgeAnswer(parse(answer), None, attempts)
            except (TimeoutError, openai.APITimeoutError):
                error = f"timeout after {cfg.timeout_s:g} s"
            except openai.APIStatusError as e:
                error = f"HTTP {e.status_code}: {e.response.text[:200]}"
                if with_schema and e.status_code == 400 and "response_format" in e.response.text:
                    _NO_SCHEMA.add(endpoint)  # no structured output here: ask again without it, now
                    attempts -= 1
                    continue
                if not (e.status_code >= 500 or e.status_code in (408, 409, 429)):
                    break  # a client error will not fix itself
            except (openai.APIError, ValueError) as e:  # connection trouble, malformed or unparseable answers
                error = _describe(e)
            except Exception as e:  # a bad base_url and the like: retrying will not help
                error = _describe(e)
                break
    return JudgeAnswer(None, f"judge failed after {attempts} attempt(s): {error}", attempts)


async def _ask(client, request: dict) -> str:
    """The answer's text (content parts joined); ValueError for a response that is not a chat completion."""
    raw = await client.chat.completions.with_raw_response.create(**request)
    try:
        content = json.loads(raw.text)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise ValueError(f"not a chat-completions response: {raw.text[:200]!r}") from e
    if isinstance(content, list):  # content parts
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    if not isinstance(content, str):
        raise ValueError(f"no text in the answer: {content!r:.200}")
    return content


def _response_format(schema: dict) -> dict:
    return {"type": "json_schema", "json_schema": {"name": "scores", "schema": schema}}


def _describe(e: Exception) -> str:
    """The error and what caused it (the client wraps transport errors: ConnectError and the like)."""
    text = f"{type(e).__name__}: {str(e)[:300]}"
    cause = e.__cause__
    return f"{text} ({type(cause).__name__}: {str(cause)[:200]})" if cause else text


def without_thinking(answer: str) -> str:
    """The answer without <think> blocks; after an unclosed one, what follows its end tag."""
    text = _THINK.sub("", answer)
    if "</think>" in text.lower():
        text = text[text.lower().rindex("</think>") + len("</think>") :]
    return text


def json_values(text: str, limit: int = 200) -> Iterator[Any]:
    """Every JSON object or array that starts somewhere in the text (code fences, prose around it), in order."""
    decoder = json.JSONDecoder()
    for start in [m.start() for m in re.finditer(r"[\[{]", text)][:limit]:
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        yield value
