"""The rubric judge and RubricScorer against a real OpenAI-compatible HTTP endpoint on loopback.

The endpoint is a small scripted http.server (not the code under test). By default it answers every request
with a score per dimension; a script of replies (HTTP errors, garbage, answers) overrides that, the last
entry repeating. It counts requests and records the most it had in flight at once.
"""

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pandas as pd
import pytest

from uiray.config import JudgeConfig
from uiray.data.rubric import RUBRICS, RubricScorer, judge_rubric, normalised_weights, parse_rubric

DIMS = RUBRICS["frontcoder"]
FULL = {d.key: 10.0 for d in DIMS}


def chat(content: str) -> tuple[int, str]:
    body = {"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"content": content}}]}
    return 200, json.dumps(body)


def answer(scores: dict[str, float]) -> tuple[int, str]:
    return chat(json.dumps({"scores": scores}))


class Endpoint:
    """POST /v1/chat/completions. With `hold_until`, the first requests wait (up to 10 s) until that many are in
    flight together, which shows the client really overlaps them, and 0.2 s more, so that a client ignoring its
    concurrency limit would push more in meanwhile; after that, answers come at once."""

    def __init__(self, *script, hold_until: int = 0):
        self.script = list(script) or [answer(FULL)]
        self.requests: list[dict] = []
        self.in_flight = self.max_in_flight = 0
        self.lock, self.overlapped = threading.Lock(), threading.Event()
        if hold_until <= 1:
            self.overlapped.set()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with endpoint.lock:
                    endpoint.requests.append(body)
                    reply = endpoint.script.pop(0) if len(endpoint.script) > 1 else endpoint.script[0]
                    endpoint.in_flight += 1
                    endpoint.max_in_flight = max(endpoint.max_in_flight, endpoint.in_flight)
                    if endpoint.in_flight >= hold_until and not endpoint.overlapped.is_set():
                        threading.Timer(0.2, endpoint.overlapped.set).start()
                try:
                    endpoint.overlapped.wait(10)
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
        self.overlapped.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def serve():
    started = []

    def start(*script, **options) -> Endpoint:
        started.append(Endpoint(*script, **options))
        return started[-1]

    yield start
    for endpoint in started:
        endpoint.close()


def judge_cfg(endpoint: Endpoint, **overrides) -> JudgeConfig:
    return JudgeConfig(**{"enabled": True, "base_url": endpoint.base_url, "model": "grader", "retries": 2, **overrides})


def rows(n: int) -> dict:
    """A Ray Data numpy batch: column name -> object array."""
    prompts = [f"Build page {i}" for i in range(n)]
    pages = [f"<html><body>page {i}</body></html>" for i in range(n)]
    return {"prompt": np.array(prompts, dtype=object), "completion": np.array(pages, dtype=object)}


def test_frontcoder_preset_has_25_weighted_dimensions():
    assert len(DIMS) == 25
    assert len({d.key for d in DIMS}) == 25
    assert sum(d.weight for d in DIMS) == pytest.approx(25.4)  # FrontCoder's published weights
    assert max(DIMS, key=lambda d: d.weight).key == "core_function_completeness"
    weights = normalised_weights("frontcoder")
    assert sum(weights.values()) == pytest.approx(1.0)
    assert weights["core_function_completeness"] == pytest.approx(1.5 / 25.4)


def test_total_is_the_weighted_mean_of_the_dimension_scores(serve):
    scores = {**FULL, "code_executability": 0.0, "core_function_completeness": 5.0, "a11y_support": 7.5}
    endpoint = serve(answer(scores))
    result = asyncio.run(judge_rubric("Build a todo app", "<html>todo</html>", judge_cfg(endpoint)))
    # by hand: 25.4 * 10 full marks, less 1.2 * 10, 1.5 * 5 and 0.7 * 2.5, out of 254
    assert result["total"] == pytest.approx((254 - 12 - 7.5 - 1.75) / 254)
    assert result["scores"] == scores
    assert (result["error"], result["attempts"]) == (None, 1)
    sent = endpoint.requests[0]
    assert sent["model"] == "grader"
    assert "Build a todo app" in sent["messages"][-1]["content"]
    assert all(f"[{d.key}]" in sent["messages"][-1]["content"] for d in DIMS)


def test_garbage_answers_are_retried_until_one_parses(serve):
    frontcoder_style = {"scores": [{"criterion_id": i, "score": 7.5, "reason": "ok"} for i in range(1, 26)],
                        "total_score": 187.5, "percentage": 99.0}  # fmt: skip
    endpoint = serve(
        chat("Looks great to me!"),
        answer({"code_executability": 9}),  # one dimension of 25
        (200, "not json at all"),
        chat(f"<think>score it</think>\n```json\n{json.dumps(frontcoder_style)}\n```"),
    )
    result = asyncio.run(judge_rubric("p", "<html></html>", judge_cfg(endpoint, retries=3), backoff_s=0))
    assert (result["error"], result["attempts"]) == (None, 4)
    assert result["total"] == pytest.approx(0.75)  # the judge's own "percentage" is ignored
    assert len(endpoint.requests) == 4


def test_parse_rubric_accepts_keys_names_numbers_and_order():
    by_name = {d.name: 5 for d in DIMS}
    assert parse_rubric(json.dumps(by_name), DIMS) == {d.key: 5.0 for d in DIMS}
    by_number = {"scores": {f"criterion {i}": "7.5/10" for i in range(1, 26)}}
    assert set(parse_rubric(json.dumps(by_number), DIMS).values()) == {7.5}
    in_order = {"scores": [i % 11 for i in range(25)]}
    assert parse_rubric(json.dumps(in_order), DIMS)[DIMS[24].key] == 2.0
    with pytest.raises(ValueError):
        parse_rubric(json.dumps({"scores": {**FULL, "code_standards": 11}}), DIMS)  # out of 0-10
    with pytest.raises(ValueError):
        parse_rubric(json.dumps({"scores": list(range(24))}), DIMS)


def test_failing_endpoint_gives_no_score_and_names_the_error(serve, tmp_path):
    endpoint = serve((500, "boom"))
    scorer = RubricScorer(judge_cfg(endpoint), cache_dir=str(tmp_path), backoff_s=0)
    out = scorer(rows(1))
    detail = json.loads(out["rubric_detail"][0])
    assert out["rubric_score"] == [None]
    assert "HTTP 500: boom" in detail["error"] and detail["attempts"] == 3
    assert len(endpoint.requests) == 3
    assert not list(tmp_path.glob("*.jsonl"))  # failures are not cached: a re-run asks again
    scorer.close()


def test_disabled_judge_asks_nothing(serve):
    endpoint = serve()
    cfg = judge_cfg(endpoint).model_copy(update={"enabled": False})
    out = RubricScorer(cfg)(rows(2))
    assert out["rubric_score"] == [None, None]
    assert json.loads(out["rubric_detail"][0])["error"] == "judge disabled"
    assert endpoint.requests == []


def test_a_second_scorer_resumes_from_the_cache(serve, tmp_path):
    endpoint = serve(answer({**FULL, "code_standards": 0.0}))
    cfg = judge_cfg(endpoint)
    batch = rows(3)
    batch["prompt"][2], batch["completion"][2] = batch["prompt"][0], batch["completion"][0]  # a repeated row
    first = RubricScorer(cfg, cache_dir=str(tmp_path))(pd.DataFrame(batch))
    assert len(endpoint.requests) == 2  # the repeated row is asked once
    expected = (254 - 10) / 254
    assert list(first["rubric_score"]) == pytest.approx([expected] * 3)
    with open(next(tmp_path.glob("*.jsonl")), "a") as f:
        f.write('{"key": "torn by a cr')  # a crash mid-write leaves a partial line

    second = RubricScorer(cfg, cache_dir=str(tmp_path))(pd.DataFrame(batch))
    assert len(endpoint.requests) == 2  # nothing asked again
    assert list(second["rubric_score"]) == pytest.approx([expected] * 3)
    assert all(json.loads(d)["cached"] for d in second["rubric_detail"])

    grown = {k: np.append(v, rows(4)[k][3]) for k, v in batch.items()}
    RubricScorer(cfg, cache_dir=str(tmp_path))(grown)
    assert len(endpoint.requests) == 3  # only the new row
    assert len(list(tmp_path.glob("*.jsonl"))) == 2  # one file per scorer that wrote

    RubricScorer(judge_cfg(endpoint, model="other-judge"), cache_dir=str(tmp_path))(rows(1))
    assert len(endpoint.requests) == 4  # another judge model is another cache key


def test_a_batch_runs_concurrently_within_max_concurrency(serve):
    endpoint = serve(hold_until=3)
    scorer = RubricScorer(judge_cfg(endpoint, max_concurrency=3))
    out = scorer(rows(8))
    assert endpoint.max_in_flight == 3
    assert len(endpoint.requests) == 8
    assert out["rubric_score"] == pytest.approx([1.0] * 8)
    scorer.close()
