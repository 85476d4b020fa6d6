"""eval's numbers against hand-computed values: sign test, pairwise table, colour diversity, means, prompt sets."""

import io
import json
import math

import pytest
from PIL import Image

from uiray.config import ConfigError, DedupConfig
from uiray.data.embedded import load_embedded
from uiray.data.minhash import signature
from uiray.eval.metrics import NEUTRAL, colour_diversity, dominant_hue, model_metrics, pairwise, sign_test
from uiray.eval.prompts import load_prompts, load_replies
from uiray.page.checklist import load_checklist
from uiray.page.heuristics import is_skeleton


def test_sign_test_matches_the_binomial_by_hand():
    assert sign_test(0, 0) == 1.0
    assert sign_test(3, 0) == pytest.approx(2 * 1 / 8)  # 0.25
    assert sign_test(9, 1) == pytest.approx(2 * (1 + 10) / 1024)
    assert sign_test(5, 5) == 1.0


def _answer(model, prompt, reward, sample=0, **fields):
    return {"model": model, "prompt_id": prompt, "sample": sample, "reward": reward, **fields}


def test_pairwise_counts_wins_ties_and_losses_per_prompt_on_mean_reward():
    answers = [
        _answer("a", "p1", 0.9), _answer("b", "p1", 0.5),  # a wins
        _answer("a", "p2", 0.50), _answer("b", "p2", 0.51),  # tie within 0.02
        _answer("a", "p3", 0.2), _answer("a", "p3", 0.4, sample=1), _answer("b", "p3", 0.6),  # a's mean 0.3: loss
        _answer("a", "p4", 0.7),  # b never answered p4: not compared
    ]  # fmt: skip
    [row] = pairwise(answers, ["a", "b"], tie_margin=0.02)
    assert row == {"a": "a", "b": "b", "prompts": 3, "a_wins": 1, "ties": 1, "b_wins": 1, "sign_test_p": 1.0}


def test_model_metrics_are_means_that_skip_missing_values_and_the_interval_holds_the_mean():
    answers = [_answer("m", "p1", 1.0, render_ok=True, interactivity=None, tokens=10, hue=0),
               _answer("m", "p2", 0.0, render_ok=False, interactivity=0.5, tokens=30, hue=0),
               _answer("m", "p3", 0.5, render_ok=True, interactivity=1.0, tokens=20, hue=None)]  # fmt: skip
    row = model_metrics(answers, bootstrap=200, seed=0)["m"]
    assert row["reward"] == pytest.approx(0.5) and row["render_ok"] == pytest.approx(2 / 3)
    assert row["interactivity"] == pytest.approx(0.75) and row["interactivity_n"] == 2
    assert row["tokens"] == pytest.approx(20) and row["answers"] == 3
    low, high = row["reward_ci"]
    assert 0.0 <= low <= 0.5 <= high <= 1.0
    assert row["colour_diversity"] == 0.0 and row["top_colour_share"] == 1.0  # both rendered pages share a hue


def test_colour_diversity_is_normalised_entropy_of_dominant_hues():
    assert colour_diversity([None, None]) == (None, None)
    value, top = colour_diversity([0, 4, 8, NEUTRAL])
    assert value == pytest.approx(math.log(4) / math.log(13)) and top == 0.25


def _png(colour) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 120), colour).save(buffer, "PNG")
    return buffer.getvalue()


def test_dominant_hue_tells_red_from_blue_and_grey_from_both():
    red, blue, grey = dominant_hue(_png((220, 30, 30))), dominant_hue(_png((30, 60, 220))), dominant_hue(_png("#888"))
    assert red != blue and NEUTRAL not in (red, blue) and grey == NEUTRAL


def test_skeletons_are_pages_with_gaps_or_replies_that_hand_the_work_back():
    full = "<html><body><button onclick='go()'>Go</button><script>function go(){alert(1)}</script></body></html>"
    assert not is_skeleton("Here it is.", full)
    assert is_skeleton("", full.replace("alert(1)", "// TODO: wire up"))
    assert is_skeleton("Add your logic here to make it work.", None)
    assert is_skeleton("I leave the scoring as an exercise: implement it yourself.", None)


def test_the_shipped_held_out_set_is_broad_valid_and_has_executable_checks():
    prompts = load_prompts("heldout")
    assert len(prompts) >= 60 and len({p["id"] for p in prompts}) == len(prompts)
    categories = {p["category"] for p in prompts}
    assert {"form", "dashboard", "game", "tool", "landing", "data"} <= categories
    for p in prompts:
        items = load_checklist(p["checklist"])
        assert sum(item.check is not None for item in items) >= 2, p["id"]
    assert len(load_prompts("heldout", limit=5)) == 5
    categories = {p["category"] for p in load_prompts("heldout")}
    assert {p["category"] for p in load_prompts("heldout", limit=len(categories))} == categories  # one of each


def test_the_held_out_set_has_no_near_duplicate_in_the_embedded_training_corpus():
    import numpy as np

    cfg = DedupConfig()
    corpus = list(dict.fromkeys(row["prompt"] for row in load_embedded()))
    held = np.stack([signature(p["prompt"], cfg) for p in load_prompts("heldout")])
    train = np.stack([signature(text, cfg) for text in corpus])
    similarity = (held[:, None, :] == train[None, :, :]).mean(axis=2)  # estimated Jaccard, as dedup estimates it
    assert similarity.max() < cfg.threshold, similarity.max()
    # the same comparison does find a training prompt when it is in the set
    assert (np.stack([signature(corpus[3], cfg)])[:, None, :] == train[None]).mean(axis=2).max() == 1.0


def test_prompt_sets_and_replies_report_bad_rows_by_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "ok"}\n{"id": "x"}\n')
    with pytest.raises(ConfigError, match="bad.jsonl:2"):
        load_prompts(str(bad))
    prompts = load_prompts("heldout")
    replies = tmp_path / "replies.jsonl"
    rows = [{"prompt": prompts[0]["prompt"], "model": "api", "reply": "<html></html>"},
            {"id": prompts[1]["id"], "prompt": "reworded", "model": "api", "reply": "x"},
            {"prompt": "a prompt of its own", "model": "api", "reply": "x"}]  # fmt: skip
    replies.write_text("\n".join([*map(json.dumps, rows), "{oops", '{"prompt": "p", "reply": "x"}']) + "\n")
    good, extra, rejected = load_replies(str(replies), prompts)
    assert [g["prompt_id"] for g in good[:2]] == [prompts[0]["id"], prompts[1]["id"]]
    assert len(extra) == 1 and good[2]["prompt_id"] == extra[0]["id"] and extra[0]["checklist"] is None
    assert [(r["line"], r["reason"]) for r in rejected] == [(4, "not valid JSON"), (5, "unknown model: no model name")]
