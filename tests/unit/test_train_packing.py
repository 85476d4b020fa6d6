import pytest
import torch

from uiray.train.packing import block_causal_mask, collate_packed, collate_padded, pack
from uiray.train.tokenize import IGNORE, encode_chat, encode_text


def _example(n: int, start: int = 10) -> dict:
    ids = list(range(start, start + n))
    return {"input_ids": ids, "labels": list(ids)}


def test_first_fit_decreasing_fills_rows_and_keeps_every_token():
    examples = [_example(n, start=100 * i) for i, n in enumerate([3, 7, 5, 2, 6, 4])]
    rows = pack(examples, seq_len=10)
    # Longest first, each into the first row with room: 7+3, 6+4, 5+2.
    assert [row["seq_lens"] for row in rows] == [[7, 3], [6, 4], [5, 2]]
    packed = sorted(t for row in rows for t in row["input_ids"])
    assert packed == sorted(t for ex in examples for t in ex["input_ids"])
    for row in rows:
        assert len(row["input_ids"]) == len(row["labels"]) == len(row["position_ids"]) == sum(row["seq_lens"])


def test_positions_restart_and_no_target_crosses_a_boundary():
    [row] = pack([_example(3, start=10), _example(2, start=20)], seq_len=8)
    assert row["input_ids"] == [10, 11, 12, 20, 21]
    assert row["position_ids"] == [0, 1, 2, 0, 1]
    # Label 3 (token 20) would be predicted from token 12 of the other sample: it is ignored.
    assert row["labels"] == [IGNORE, 11, 12, IGNORE, 21]


def test_too_long_example_is_an_error():
    with pytest.raises(ValueError, match="more than seq_len=4"):
        pack([_example(5)], seq_len=4)


def test_block_mask_is_causal_within_segments_only():
    segment = torch.tensor([[0, 0, 1, 1, 1]])
    allowed = block_causal_mask(segment, torch.bool)[0, 0]
    expected = torch.tensor(
        [
            [1, 0, 0, 0, 0],
            [1, 1, 0, 0, 0],
            [0, 0, 1, 0, 0],
            [0, 0, 1, 1, 0],
            [0, 0, 1, 1, 1],
        ],
        dtype=torch.bool,
    )
    assert torch.equal(allowed, expected)
    additive = block_causal_mask(segment, torch.float32)[0, 0]
    assert torch.equal(additive == 0, expected)
    assert (additive[~expected] == torch.finfo(torch.float32).min).all()


def test_collate_packed_pads_as_a_segment_of_its_own():
    rows = pack([_example(4), _example(3), _example(2)], seq_len=6)  # [4, 2] and [3]
    batch = collate_packed(rows, pad_id=0)
    assert batch["input_ids"].shape == (2, 6)
    assert batch["attention_mask"].shape == (2, 1, 6, 6)
    assert batch["position_ids"][1].tolist() == [0, 1, 2, 0, 1, 2]
    assert batch["labels"][1, 3:].tolist() == [IGNORE] * 3
    assert (batch["attention_mask"][1, 0, 3:, :3] < 0).all()  # padding never sees the sample
    assert (batch["attention_mask"].amax(-1) == 0).all()  # every query attends to something


def test_collate_padded_pads_right():
    batch = collate_padded([_example(3), _example(1)], pad_id=7)
    assert batch["input_ids"][1].tolist() == [10, 7, 7]
    assert batch["labels"][1].tolist() == [10, IGNORE, IGNORE]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]


@pytest.fixture(scope="module")
def samples(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    return [
        encode_chat(tokenizer, "sys", "a counter button", "```html\n<button>+1</button>\n```", 256),
        encode_text(tokenizer, "body { margin: 0; padding: 1rem; }", 256),
        encode_chat(tokenizer, None, "a todo list", "```html\n<ul><li>milk</li></ul>\n```", 256),
    ]


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_packed_logits_equal_each_sample_run_alone(tiny_model_dir, samples, attn):
    """The proof of no leakage: with the block mask, a packed row computes exactly what separate runs do."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32, attn_implementation=attn)
    model.eval()
    [row] = pack(samples, seq_len=sum(len(s["input_ids"]) for s in samples))
    batch = collate_packed([row])
    with torch.no_grad():
        packed = model(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], position_ids=batch["position_ids"]
        ).logits[0]
        # Negative control: the same row under a plain causal mask leaks, and the comparison must see it.
        leaky = model(input_ids=batch["input_ids"]).logits[0]
        start, leaks = 0, False
        for n in row["seq_lens"]:
            ids = batch["input_ids"][0, start : start + n]
            alone = model(input_ids=ids[None]).logits[0]
            torch.testing.assert_close(packed[start : start + n], alone, atol=1e-4, rtol=0)
            leaks |= not torch.allclose(leaky[start : start + n], alone, atol=1e-4, rtol=0)
            start += n
    assert leaks
