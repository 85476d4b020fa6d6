"""Scoring whole replies through the real sandbox: components, gates, presets, failures and timeouts."""

import pytest

from uiray.config import RewardConfig
from uiray.reward.actors import score_all
from uiray.reward.score import score_reply

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE = """<!DOCTYPE html><html lang="en"><head><title>Counter</title><style>
body{font:18px sans-serif;margin:0} header{background:#1e3a8a;color:#fff;padding:40px} main{padding:40px}
button{font-size:24px;padding:12px 28px;background:#1e3a8a;color:#fff;border:0}</style></head>
<body><header><h1>Counter</h1><p>Count clicks, reset when done.</p></header><main>
<p id="n">0</p><button id="inc" onclick="n.textContent = +n.textContent + 1">Add one</button>
<button onclick="n.textContent = 0">Reset</button></main></body></html>"""
COUNTER = f"Here is the page:\n```html\n{PAGE}\n```\nEnjoy!"
SKELETON = COUNTER.replace('onclick="n.textContent = 0"', 'onclick="reset()"').replace(
    "</main>", "<script>function reset() {\n  // TODO: implement reset\n}</script></main>"
)
CHECKLIST = [
    {"text": "Add one increments", "check": {"click": "#inc", "expect": {"selector": "#n", "text": "1"}}},
    {"text": "has a title", "check": {"text": "Counter"}},
    "looks polished",  # judge-only: left out while the judge is off
]
TSX = """```tsx
import React, { useState } from "react";
export default function Counter(): JSX.Element {
  const [n, setN] = useState<number>(0);
  return <main><h1>Clicks: {n}</h1><button onClick={() => setN(n + 1)}>Add</button></main>;
}
```"""


def score(pool, response, cfg=None, **request):
    cfg = cfg or RewardConfig(render=pool.cfg)
    return pool.run(score_reply(pool, {"response": response, **request}, cfg))


def test_a_working_page_scores_high_on_every_browser_component(pool):
    out = score(pool, COUNTER, checklist=CHECKLIST)
    parts = out["breakdown"]["components"]
    assert out["page_source"] == "fence" and out["error"] is None
    assert parts["render"] == parts["repetition"] == parts["completeness"] == 1.0
    assert parts["interactivity"] == 1.0 and parts["accessibility"] == 1.0 and parts["visual"] == 1.0
    assert parts["checklist"] == 1.0
    assert [item["source"] for item in out["checklist"]] == ["check", "check", None]
    assert out["breakdown"]["missing"] == ["similarity"]
    assert out["reward"] == pytest.approx(1.0)


def test_frontcoder_preset_on_a_hand_computed_case(pool):
    cfg = RewardConfig(render=pool.cfg, preset="frontcoder")
    failing = [CHECKLIST[0], {"text": "shows a total", "check": {"text": "Total"}}]  # 1 of 2 items pass
    out = score(pool, COUNTER, cfg, checklist=failing, reference=PAGE)
    # R = I_rep * I_render * (0.6 * S_chk + 0.3 * S_sim + 0.1 * S_len) = 0.6 * 0.5 + 0.3 * 1 + 0.1 * 1
    assert out["breakdown"]["components"]["checklist"] == 0.5
    assert out["breakdown"]["components"]["similarity"] == 1.0
    assert out["reward"] == pytest.approx(0.7)


def test_skeletons_dead_pages_and_broken_pages_score_lower(pool):
    good = score(pool, COUNTER)["reward"]
    skeleton = score(pool, SKELETON)
    assert skeleton["breakdown"]["components"]["completeness"] < 1.0
    assert skeleton["breakdown"]["components"]["interactivity"] == 0.5
    assert skeleton["reward"] < good
    broken = score(pool, COUNTER.replace("</main>", "<script>undefinedCall()</script></main>"))
    assert broken["breakdown"]["gates"]["render"] == 0.0 and broken["reward"] == 0.0
    assert any("uncaught error at load" in issue for issue in broken["issues"])
    nothing = score(pool, "I cannot help with that.")
    assert nothing["page_source"] is None and nothing["reward"] == 0.0 and nothing["render"] is None


def test_a_react_component_reply_is_mounted_and_probed(pool):
    out = score(pool, TSX)
    assert out["page_source"] == "react"
    assert out["breakdown"]["components"]["render"] == 1.0
    assert out["breakdown"]["components"]["interactivity"] == 1.0


def test_timeouts_and_bad_requests_fail_alone_and_the_pool_carries_on(pool):
    # 3 s: several times what a counter page takes even on a loaded 2-core box, and under what the hung page
    # needs before its probe gives up (a click that times out at ~1.8 s, then a signature that waits 2 s).
    cfg = RewardConfig(render=pool.cfg, item_timeout_s=3.0)
    hang = "```html\n<!DOCTYPE html><html><body><button onclick='while(true){}'>x</button></body></html>\n```"
    requests = [
        {"response": COUNTER},
        {"response": hang},
        {"response": COUNTER, "checklist": [{"text": "bad", "check": {"selector": 5}}]},
    ]
    good, hung, bad = pool.run(score_all(pool, requests, cfg))
    assert good["error"] is None and good["reward"] > 0.8
    assert hung["error"].startswith("timeout") and hung["reward"] == 0.0
    assert bad["error"].startswith("ChecklistError") and "checklist item 0" in bad["error"]
    again = pool.run(score_all(pool, [{"response": COUNTER}] * pool.cfg.pages, cfg))
    assert all(o["error"] is None and o["reward"] > 0.8 for o in again)
