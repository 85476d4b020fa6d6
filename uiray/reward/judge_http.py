"""The HTTP side of LLM judges (checklist items, data rubrics): any OpenAI-compatible /chat/completions.

One semaphore per event loop and concurrency limit, so all judge calls made on a loop share the limit;
HTTP errors say whether a retry can help.
"""

from __future__ import annotations

import asyncio
import weakref

_LIMITS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def semaphore(limit: int) -> asyncio.Semaphore:
    """One semaphore per event loop and limit: every judge call on a loop shares max_concurrency."""
    per_loop = _LIMITS.setdefault(asyncio.get_running_loop(), {})
    return per_loop.setdefault(limit, asyncio.Semaphore(limit))


class HTTPStatusError(Exception):
    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body[:200]}")
        # 4xx other than timeout/conflict/rate-limit will not fix itself: no point retrying.
        self.retryable = status >= 500 or status in (408, 409, 429)


async def ask(client, endpoint: str, body: dict, headers: dict) -> str:
    response = await client.post(endpoint, json=body, headers=headers)
    if response.status_code >= 400:
        raise HTTPStatusError(response.status_code, response.text)
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise ValueError(f"not a chat-completions response: {response.text[:200]!r}") from e
    if isinstance(content, list):  # content parts
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    if not isinstance(content, str):
        raise ValueError(f"no text in the answer: {content!r:.200}")
    return content
