"""No silent truncation: the default data stage and the default SFT/DPO sequence length agree, and a row that
does not fit is a counted decision (dropped, or cut with a warning), never a quiet one."""

import pytest
from corpusgen import generate_corpus

from tests.tiny_model import build_tokenizer
from uiray.config import UI_SYSTEM_PROMPT, DataConfig, DPOConfig, SFTConfig
from uiray.models import resolve_model
from uiray.train.data import encode_dpo, encode_sft, fit_to_length, load_tokenizer
from uiray.train.tokenize import encode_chat


def test_the_default_corpus_fits_the_default_seq_len_with_its_ending():
    """Every embedded page, with the chat template and the system prompt, fits train.seq_len whole - its
    `</html>`, the closing fence and the stop token included - and the data stage's max_tokens leaves room."""
    tokenizer = load_tokenizer(resolve_model(DataConfig().model.name))
    seq_len = SFTConfig().train.seq_len
    assert DPOConfig().train.seq_len == seq_len
    for row in generate_corpus(200, seed=0):
        encoded = encode_chat(tokenizer, UI_SYSTEM_PROMPT, row["prompt"], row["completion"], seq_len)
        assert encoded["length"] <= seq_len, (row["id"], encoded["length"])
        assert "</html>" in tokenizer.decode(encoded["input_ids"][-20:])  # the page's ending is trained on
    room = seq_len - DataConfig().max_tokens  # what the data stage leaves for system prompt, request and template
    context = encode_chat(tokenizer, UI_SYSTEM_PROMPT, "x " * 60, "ok", seq_len)["length"]
    assert room >= context, f"a {DataConfig().max_tokens}-token answer with a 60-word request would be cut"


def rows(n_short: int, n_long: int) -> list[dict]:
    short, long = "```html\n<p>hi</p>\n```", "```html\n" + "<p>a long page</p>" * 80 + "\n```"
    return [{"id": f"s{i}", "system": None, "prompt": "a page", "completion": short} for i in range(n_short)] + [
        {"id": f"l{i}", "system": None, "prompt": "a long page", "completion": long} for i in range(n_long)
    ]


@pytest.mark.parametrize("policy", ["drop", "cut"])
def test_rows_longer_than_seq_len_are_counted_and_dropped_or_cut(ray_cluster, tmp_path, policy, capfd):
    from uiray.logs import setup_logging

    setup_logging()  # as the `uiray` command does: uiray's warnings on stderr
    tokenizer_dir = tmp_path / "tok"
    build_tokenizer().save_pretrained(tokenizer_dir)
    data = ray_cluster.data.from_items(rows(3, 2))
    encoded = data.map_batches(encode_sft(str(tokenizer_dir), "chat", None, 128), batch_size=8)
    kept, report = fit_to_length(encoded, 128, policy, "train")
    assert report == {"rows": 5, "too_long": 2, "policy": policy}
    ids = sorted(r["id"] for r in kept.take_all())
    assert ids == (["s0", "s1", "s2"] if policy == "drop" else ["l0", "l1", "s0", "s1", "s2"])
    assert all(len(r["input_ids"]) <= 128 for r in kept.take_all())
    warning = capfd.readouterr().err
    assert "2 of 5 rows are longer than train.seq_len=128" in warning and f"train.too_long={policy}" in warning

    pairs = [{"id": "p", "system": None, "prompt": "q", "chosen": rows(0, 1)[0]["completion"], "rejected": "no"}]
    encoded = ray_cluster.data.from_items(pairs).map_batches(encode_dpo(str(tokenizer_dir), None, 128))
    if policy == "drop":
        with pytest.raises(Exception, match="all 1 rows are longer than train.seq_len=128"):
            fit_to_length(encoded, 128, policy, "train pairs")
    else:
        assert fit_to_length(encoded, 128, policy, "train pairs")[1]["too_long"] == 1


def test_dpo_precomputes_the_reference_only_when_it_saves_work_and_only_for_pairs_it_trains_on(ray_cluster):
    """precompute_ref=None chooses: full fine-tuning or more than one epoch precompute; LoRA within one epoch
    does not (each step's own pairs, adapter off). What is precomputed is what the step loop will read."""
    from uiray.config import OptimConfig
    from uiray.train.data import global_batches
    from uiray.train.dpo import _planned_batches, precomputes
    from uiray.train.trainer import WorkerRun

    def run(total_steps: int) -> WorkerRun:
        return WorkerRun(cfg=DPOConfig(), steps_per_epoch=5, total_steps=total_steps, output_dir="", cpus=1)

    one_epoch, two_epochs = run(3), run(7)
    assert not precomputes(DPOConfig(), one_epoch) and precomputes(DPOConfig(), two_epochs)
    assert precomputes(DPOConfig(lora={"enabled": False}), one_epoch)
    assert precomputes(DPOConfig(precompute_ref=True), one_epoch)
    assert not precomputes(DPOConfig(precompute_ref=False), two_epochs)

    # 3 steps of 2 batches of 2 pairs out of 20: the first 12 rows of epoch 0's order, not all 20
    opt = OptimConfig(micro_batch_size=2, grad_accum=2, epochs=2)
    data = ray_cluster.data.from_items([{"id": f"p{i}"} for i in range(20)]).materialize()
    planned = [r["id"] for b in _planned_batches(data.iterator(), one_epoch, opt, 1, seed=3) for r in b]
    read = [r["id"] for b in global_batches(data.iterator(), 2, epoch=0, seed=3) for r in b][:12]
    assert planned == read and len(set(planned)) == 12


def test_dpo_holds_out_pairs_of_data_stage_prompts(ray_cluster):
    """The data stage's pairs come from prompts it did not send to rl/ (split_key(prompt, 0) >= rl_fraction):
    DPO's held-out coin must not be that same coin, or eval_fraction <= rl_fraction holds out nothing."""
    import ray

    from uiray.data.split import split_key
    from uiray.train.dpo import split_pairs

    prompts = [p for p in (f"page {i}" for i in range(400)) if split_key(p, 0) >= DataConfig().rl_fraction]
    pairs = [{"prompt": p, "chosen": "a", "rejected": "b", "k": k} for p in prompts for k in range(2)]
    train, held = split_pairs(ray.data.from_items(pairs), DPOConfig().eval_fraction, 0)
    held_prompts = {r["prompt"] for r in held.iter_rows()}
    train_prompts = {r["prompt"] for r in train.iter_rows()}
    assert 0.05 * len(prompts) < len(held_prompts) < 0.15 * len(prompts)
    assert not held_prompts & train_prompts and len(held_prompts | train_prompts) == len(prompts)
