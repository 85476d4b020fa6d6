"""`uiray serve` end to end: jobs/serve.py on the tiny model with the shared SFT run's adapter, its own local Ray
cluster, Ray Serve LLM's vLLM engine, browser replicas for /v1/preview, and an API key. The official openai
client, Playwright's Chromium and plain HTTP load call it as users would."""

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import requests

from tests.stages import ROOT, job_env
from uiray.labels.store import Candidate, LabelStore

pytestmark = pytest.mark.slow

START_TIMEOUT_S = 420
PROMPT = "A page with a button that counts clicks"


@pytest.fixture(scope="module")
def server(tiny_model_dir, sft_run, tmp_path_factory):
    """(url, key, model id, log path) of a running `jobs/serve.py`; stopped (SIGTERM, then SIGKILL) after."""
    sft_dir, trained = sft_run
    assert trained.returncode == 0, trained.stderr[-2000:]
    key = secrets.token_urlsafe(16)
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    labels_db = log.with_name("labels.sqlite")
    command = [sys.executable, str(ROOT / "jobs" / "serve.py"), "--model", str(tiny_model_dir), "--adapter",
               f"sft={sft_dir}", "--port", "0", "model.dtype=float32", "engine.max_model_len=1024",
               "ray.num_cpus=2", "ray.render_slots=1", "ray.object_store_gib=1", "max_body_bytes=1000000",
               "preview.max_html_chars=100000", "preview.sampling.max_tokens=256",
               f"labels.db={labels_db}"]  # fmt: skip
    env = {**job_env(), "UIRAY_API_KEY": key}
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        info = _wait_for_start(process, log)
        yield info["url"], key, info["models"][0], log  # the labels db is log's neighbour, labels.sqlite
    finally:
        process.send_signal(signal.SIGTERM)  # uiray serve's own stop: it shuts its cluster down
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        with log.open() as text:
            assert "Traceback" not in text.read().split('"ready_s"')[0], f"serve logged an error at start: {log}"


def _wait_for_start(process, log: Path) -> dict:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith('{"url"'):
                return json.loads(line)
        assert process.poll() is None, f"serve exited ({process.returncode}):\n{log.read_text()[-4000:]}"
        time.sleep(1)
    raise AssertionError(f"serve not ready in {START_TIMEOUT_S} s:\n{log.read_text()[-4000:]}")


@pytest.fixture
def loopback_spy():
    """An HTTP server on a free loopback port that records every request a page manages to send it."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args):
            pass

    spy = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=spy.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{spy.server_address[1]}", hits
    spy.shutdown()


def _hostile_page(target: str) -> str:
    """Every way a page might reach `target`: fetch, XHR, beacon, websocket, image, script, style, nested frame,
    form, popup, and navigating its own frame."""
    return f"""<!DOCTYPE html><html><head><link rel="stylesheet" href="{target}/css">
<script src="{target}/script"></script></head><body><h1>hostile</h1><img src="{target}/img">
<iframe src="{target}/frame"></iframe><form id="f" action="{target}/form" method="post"></form>
<script>
fetch("{target}/fetch").catch(() => {{}});
try {{ const x = new XMLHttpRequest(); x.open("GET", "{target}/xhr"); x.send(); }} catch (e) {{}}
try {{ navigator.sendBeacon("{target}/beacon", "x"); }} catch (e) {{}}
try {{ new WebSocket("{target.replace("http", "ws")}/ws"); }} catch (e) {{}}
try {{ document.getElementById("f").submit(); }} catch (e) {{}}
try {{ window.open("{target}/popup"); }} catch (e) {{}}
setTimeout(() => {{ try {{ location.href = "{target}/navigate"; }} catch (e) {{}} }}, 200);
</script></body></html>"""


def test_openai_client_lists_chats_and_streams_with_the_base_model_and_an_sft_adapter(server):
    import openai

    url, key, model, _ = server
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
    assert [m.id for m in client.models.list().data] == [model, f"{model}:sft"]
    messages = [{"role": "user", "content": PROMPT}]

    def greedy(name: str) -> str:
        answer = client.chat.completions.create(model=name, messages=messages, max_tokens=48, temperature=0, seed=0)
        return answer.choices[0].message.content

    base, adapted = greedy(model), greedy(f"{model}:sft")
    assert base and adapted and adapted != base  # the adapter really is applied
    stream = client.chat.completions.create(model=f"{model}:sft", messages=messages, max_tokens=48, temperature=0,
                                            seed=0, stream=True)  # fmt: skip
    chunks = [c.choices[0].delta.content or "" for c in stream if c.choices]
    assert len(chunks) > 1 and "".join(chunks) == adapted
    several = client.completions.create(model=model, prompt="<html>", max_tokens=8, n=2, temperature=1.0, seed=3,
                                        top_p=0.9, stop=["</html>"])  # fmt: skip
    assert len(several.choices) == 2

    refusals = {
        openai.NotFoundError: [dict(model="no-such-model"), dict(model=f"{model}:no-such-adapter")],
        openai.BadRequestError: [dict(model=model, max_tokens=100_000),
                                 dict(model=model, messages=[{"role": "user", "content": "word " * 2000}])],
    }  # fmt: skip
    for error, calls in refusals.items():
        for call in calls:
            with pytest.raises(error) as caught:
                client.chat.completions.create(**{"messages": messages, "max_tokens": 4, **call})
            assert caught.value.message, call
    with pytest.raises(openai.AuthenticationError, match="API key"):
        openai.OpenAI(base_url=f"{url}/v1", api_key="wrong", max_retries=0).models.list()


def test_preview_renders_and_scores_a_page_serves_its_screenshot_and_keeps_it_off_the_network(server, loopback_spy):
    url, key, model, _ = server
    auth = {"Authorization": f"Bearer {key}"}
    target, hits = loopback_spy
    page = ('<!DOCTYPE html><html lang="en"><head><title>Counter</title></head><body><p id="n">0</p>'
            '<button onclick="n.textContent = +n.textContent + 1">Add</button></body></html>')  # fmt: skip
    counts = {"click": "button", "expect": {"selector": "#n", "text": "1", "exact": True}}
    checklist = [{"text": "Clicking the button counts up", "check": counts}]
    done = requests.post(f"{url}/v1/preview", json={"html": page, "checklist": checklist}, headers=auth, timeout=120)
    assert done.status_code == 200, done.text
    result = done.json()
    assert result["code"] == page and result["language"] == "html" and result["render"]["ok"]
    assert result["breakdown"]["components"]["checklist"] == 1.0 and result["reward"] > 0.5
    shot = requests.get(url + result["screenshot_url"], headers=auth, timeout=30)
    assert shot.headers["content-type"] == "image/png" and shot.content.startswith(b"\x89PNG")
    assert requests.get(url + result["screenshot_url"], timeout=30).status_code == 401

    hostile = requests.post(f"{url}/v1/preview", json={"html": _hostile_page(target)}, headers=auth, timeout=120)
    assert hostile.status_code == 200 and hostile.json()["render"] is not None
    generated = requests.post(f"{url}/v1/preview", json={"prompt": PROMPT, "model": f"{model}:sft", "max_tokens": 64},
                              headers=auth, timeout=120)  # fmt: skip
    assert generated.status_code == 200 and generated.json()["model"] == f"{model}:sft"
    assert generated.json()["reply"] and "reward" in generated.json()
    too_big = requests.post(f"{url}/v1/preview", json={"html": "x" * 100_001}, headers=auth, timeout=30)
    assert too_big.status_code == 413 and "limit" in too_big.json()["error"]["message"]
    time.sleep(1)
    assert hits == []


def test_playground_streams_code_previews_it_sandboxed_and_shows_the_reward(server, loopback_spy):
    from playwright.sync_api import expect, sync_playwright

    url, key, model, _ = server
    target, hits = loopback_spy
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page()
        page.goto(url + "/")
        page.fill("#key", key)
        page.dispatch_event("#key", "change")
        page.evaluate("loadModels()")  # again, now with the key
        expect(page.locator("#model option")).to_have_count(2)
        page.select_option("#model", f"{model}:sft")
        page.fill("#prompt", PROMPT)
        page.click("#go")
        expect(page.locator("#status")).to_contain_text("done", timeout=120_000)
        assert page.locator("#code").inner_text().strip()  # the streamed reply
        assert page.locator("#reward").inner_text().startswith("reward ")
        assert page.locator("#breakdown tr").count() >= 3
        expect(page.locator("#shot")).to_have_attribute("src", re.compile("^blob:"))
        assert page.locator("#shot").evaluate("img => img.naturalWidth > 0")
        live = page.locator("#live")
        assert live.get_attribute("sandbox") == "allow-scripts"
        assert "Content-Security-Policy" in live.evaluate("frame => frame.srcdoc")

        # A page that tries every way out, in the live preview the playground shows it in.
        page.evaluate("html => showPage(html)", _hostile_page(target))
        expect(page.frame_locator("#live").locator("h1")).to_have_text("hostile")
        page.wait_for_timeout(1500)
        browser.close()
    assert hits == []


def test_200_mixed_requests_get_answers_malformed_ones_4xx_and_the_service_stays_up(server):
    url, key, model, _ = server
    auth = {"Authorization": f"Bearer {key}"}
    chat = {"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8, "temperature": 0}
    valid = [
        ("GET", "/v1/models", None, auth),
        ("POST", "/v1/chat/completions", chat, auth),
        ("POST", "/v1/chat/completions", {**chat, "model": f"{model}:sft", "stream": True}, auth),
        ("POST", "/v1/completions", {"model": model, "prompt": "<p>", "max_tokens": 8, "n": 2}, auth),
        ("GET", "/healthz", None, {}),
    ]
    malformed = [
        ("POST", "/v1/chat/completions", b"{not json", auth),
        ("POST", "/v1/chat/completions", {**chat, "messages": 5}, auth),
        ("POST", "/v1/chat/completions", {**chat, "messages": []}, auth),
        ("POST", "/v1/chat/completions", {**chat, "model": "nope"}, auth),
        ("POST", "/v1/chat/completions", {**chat, "model": f"{model}:nope"}, auth),
        ("POST", "/v1/chat/completions", {**chat, "max_tokens": 10**6}, auth),
        ("POST", "/v1/chat/completions", {**chat, "temperature": "hot"}, auth),
        ("POST", "/v1/chat/completions", {**chat, "messages": [{"role": "user", "content": "w " * 3000}]}, auth),
        ("POST", "/v1/completions", {"model": model, "prompt": 5.5}, auth),
        ("POST", "/v1/chat/completions", b"[" * 2_000_000, auth),  # over max_body_bytes
        ("POST", "/v1/preview", {}, auth),
        ("POST", "/v1/preview", {"html": "x" * 200_000}, auth),
        ("GET", "/v1/screenshots/none", None, auth),
        ("GET", "/v1/no-such-route", None, auth),
        ("PUT", "/v1/preview", None, auth),
        ("POST", "/v1/chat/completions", chat, {}),
        ("GET", "/v1/models", None, {"Authorization": "Bearer wrong"}),
    ]
    plan = [("valid", *valid[i % len(valid)]) if i % 2 else ("malformed", *malformed[i % len(malformed)])
            for i in range(190)]  # fmt: skip
    page = '<!DOCTYPE html><html><body><button onclick="this.textContent++">0</button></body></html>'
    plan += [("valid", "POST", "/v1/preview", {"html": page}, auth)] * 10  # 200 in all

    def send(item):
        kind, method, path, body, headers = item
        data = body if isinstance(body, bytes) else None
        answer = requests.request(method, url + path, json=None if data else body, data=data, headers=headers,
                                  timeout=300)  # fmt: skip
        return kind, path, answer.status_code, answer.text

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(send, plan))
    assert len(results) == 200
    server_errors = [r for r in results if r[2] >= 500]
    assert server_errors == [], server_errors[:3]
    for kind, path, status, text in results:
        if kind == "valid":
            assert status == 200, (path, status, text[:300])
        else:
            assert 400 <= status < 500, (path, status, text[:300])
            assert json.loads(text)["error"]["message"], (path, text[:300])
    assert requests.get(f"{url}/readyz", timeout=30).status_code == 200
    after = requests.post(f"{url}/v1/chat/completions", json=chat, headers=auth, timeout=60)
    assert after.status_code == 200 and after.json()["choices"][0]["message"]["content"]


def test_the_ranking_page_is_served_next_to_the_playground_with_its_own_tokens(server):
    url, key, _, log = server
    store = LabelStore(log.with_name("labels.sqlite"))  # the file `labels.db` names, shared with the server
    token = store.add_labeler("ana")
    page = "```html\n<!DOCTYPE html><html><body><h1>{}</h1></body></html>\n```"
    store.add_task("a title", [Candidate(page.format("one"), "m"), Candidate(page.format("two"), "m")])
    assert httpx.get(f"{url}/labels/").status_code == 200  # the page is static, like the playground
    task = httpx.get(f"{url}/labels/api/task", headers={"Authorization": f"Bearer {token}"})
    assert task.status_code == 200 and task.json()["prompt"] == "a title", task.text
    assert httpx.get(f"{url}/labels/api/task", headers={"Authorization": f"Bearer {key}"}).status_code == 401
