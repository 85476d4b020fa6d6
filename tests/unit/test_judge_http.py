"""The checklist judge client against a real OpenAI-compatible HTTP endpoint on loopback.

The endpoint is a small scripted http.server (it is not the code under test): each request takes the next
scripted reply - an HTTP error, a malformed body, an answer, or a hang - and the test reads back what the
client sent.
"""

import asyncio
import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from uiray.config import JudgeConfig
from uiray.page.checklist import load_checklist
from uiray.reward.checklist import judge_checklist

ITEMS = load_checklist(
    [
        "Has a header",
        {"text": "The counter works", "check": {"click": "#inc", "expect": {"text": "1"}}},
        "Has a footer",
    ]
)


def chat(content) -> tuple[int, str]:
    """A chat-completions response carrying `content`."""
    body = {"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"content": content}}]}
    return 200, json.dumps(body)


class ScriptedEndpoint:
    """POST /v1/chat/completions answered from a script; the last entry repeats. "hang" never answers."""

    def __init__(self, *script, delay_s: float = 0.0):
        self.script, self.delay_s = list(script), delay_s
        self.requests: list[dict] = []
        self.in_flight = self.max_in_flight = 0
        self.lock, self.release = threading.Lock(), threading.Event()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with endpoint.lock:
                    headers = {k.title(): v for k, v in self.headers.items()}  # names are case-insensitive
                    endpoint.requests.append({"path": self.path, "headers": headers, "body": body})
                    reply = endpoint.script.pop(0) if len(endpoint.script) > 1 else endpoint.script[0]
                    endpoint.in_flight += 1
                    endpoint.max_in_flight = max(endpoint.max_in_flight, endpoint.in_flight)
                try:
                    if reply == "hang":
                        endpoint.release.wait(30)
                        return
                    endpoint.release.wait(endpoint.delay_s)  # lets concurrent requests overlap
                    status, text = reply
                    data = text.encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    with endpoint.lock:
                        endpoint.in_flight -= 1

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self):
        self.release.set()  # wake hanging handlers so their threads end
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def endpoint():
    made = []

    def make(*script, delay_s=0.0):
        made.append(ScriptedEndpoint(*script, delay_s=delay_s))
        return made[-1]

    yield make
    for server in made:
        server.close()


def judge(server, items=ITEMS, screenshot=None, **overrides):
    cfg = JudgeConfig(
        **{"enabled": True, "base_url": server.base_url, "model": "tiny-judge", "timeout_s": 5, **overrides}
    )
    return asyncio.run(judge_checklist("a counter page", "<h1>0</h1>", items, cfg, screenshot, backoff_s=0.01))


def test_retries_through_a_server_error_and_garbage_then_scores(endpoint, monkeypatch):
    monkeypatch.setenv("UIRAY_TEST_JUDGE_KEY", "sk-test")
    server = endpoint((500, "overloaded"), chat("The page looks nice."), chat('```json\n{"scores": [4, 2]}\n```'))
    result = judge(server, api_key_env="UIRAY_TEST_JUDGE_KEY")
    assert result == {"scores": [4.0, None, 2.0], "error": None, "attempts": 3}
    assert len(server.requests) == 3
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "tiny-judge" and body["temperature"] == 0.0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    user = body["messages"][1]["content"]
    # Only judge-only items are asked about, renumbered; the executable one costs no judge tokens.
    assert "1. Has a header\n2. Has a footer" in user and "counter works" not in user
    assert "<h1>0</h1>" in user


def test_gives_up_after_the_retries_with_the_reason(endpoint):
    server = endpoint((503, "busy"))
    result = judge(server, retries=2)
    assert result["scores"] == [None, None, None] and result["attempts"] == 3
    assert "after 3 attempt(s)" in result["error"] and "HTTP 503: busy" in result["error"]
    assert len(server.requests) == 3


def test_client_errors_are_not_retried(endpoint):
    server = endpoint((401, '{"error": "bad key"}'))
    result = judge(server, retries=3)
    assert result["attempts"] == 1 and "HTTP 401" in result["error"]


def test_malformed_responses_and_content_parts_are_handled(endpoint):
    parts = [{"type": "text", "text": '{"scores": '}, {"type": "text", "text": "[5, 1]}"}]
    server = endpoint((200, '{"choices": []}'), (200, "not json"), chat(parts))
    result = judge(server, retries=2)
    assert result["scores"] == [5.0, None, 1.0] and result["attempts"] == 3


def test_a_hanging_endpoint_times_out_with_none_scores(endpoint):
    server = endpoint("hang")
    result = judge(server, timeout_s=0.3, retries=1)
    assert result["scores"] == [None, None, None] and result["attempts"] == 2
    assert "timeout after 0.3 s" in result["error"]


def test_an_unreachable_endpoint_fails_with_the_reason(endpoint):
    server = endpoint(chat("{}"))
    server.close()  # nothing listens on the port any more
    result = judge(server, retries=0)
    assert result["scores"] == [None, None, None] and "ConnectError" in result["error"]


def test_vision_sends_the_screenshot_as_a_png_data_url(endpoint):
    png = b"\x89PNG\r\n\x1a\nnot-really-a-png"
    server = endpoint(chat('{"scores": [3, 3]}'))
    assert judge(server, screenshot=png, vision=True)["scores"] == [3.0, None, 3.0]
    text, image = server.requests[0]["body"]["messages"][1]["content"]
    assert text["type"] == "text" and "attached screenshot" in text["text"]
    assert image == {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64," + base64.b64encode(png).decode()},
    }
    # Without vision the same call sends the code only.
    judge(server, screenshot=png, vision=False)
    assert isinstance(server.requests[1]["body"]["messages"][1]["content"], str)


def test_disabled_judge_and_checklists_without_judge_items_make_no_request(endpoint):
    server = endpoint(chat('{"scores": [3, 3]}'))
    cfg = JudgeConfig(base_url=server.base_url)  # enabled is False by default
    result = asyncio.run(judge_checklist("p", "<p>", ITEMS, cfg))
    assert result == {"scores": [None, None, None], "error": "judge disabled", "attempts": 0}
    assert judge(server, items=[ITEMS[1]]) == {"scores": [None], "error": None, "attempts": 0}
    assert server.requests == []


def test_requests_in_flight_never_exceed_max_concurrency(endpoint):
    server = endpoint(chat('{"scores": [1, 2]}'), delay_s=0.2)
    cfg = JudgeConfig(enabled=True, base_url=server.base_url, max_concurrency=2)

    async def many():
        calls = [judge_checklist("p", "<p>", ITEMS, cfg) for _ in range(6)]
        return await asyncio.gather(*calls)

    results = asyncio.run(many())
    assert all(r["scores"] == [1.0, None, 2.0] for r in results)
    assert len(server.requests) == 6 and 1 <= server.max_in_flight <= 2
