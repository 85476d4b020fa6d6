"""Sequence packing without cross-sample attention, and padding as the fallback.

Packing puts several encoded samples (uiray.train.tokenize) in one row of at most seq_len tokens, so a
batch holds no padding. Three things keep the samples of a row apart:

    position_ids   restart at 0 for every sample (RoPE sees each sample as if it ran alone)
    attention      a block-diagonal causal mask: a token attends to earlier tokens of its own sample only
    labels         the first token of every sample is IGNORE; otherwise the loss's one-token shift would
                   have the last token of sample A predict the first token of sample B

    row:        [a0 a1 a2 | b0 b1 | c0 c1 c2 c3 | pad pad]
    positions:  [ 0  1  2 |  0  1 |  0  1  2  3 |   0   1]
    mask:       a* sees a0..; b* sees b0..; c* sees c0..; pads see pads (never labelled)

`collate_packed` hands the mask to transformers as a 4D tensor (batch, 1, seq, seq), which transformers
uses as given. Its default is additive float (0.0 where attention is allowed, the dtype's minimum
elsewhere): eager attention adds the mask to the scores, and SDPA accepts an additive mask whose dtype
is the query's, so float masks work with both when `mask_dtype` is the model's compute dtype. A bool
mask (True = attend) works with SDPA only; eager would add it as 0/1.

transformers 5 can also build the block mask itself from restarting position_ids, but only when
attention_mask is None *and* no KV cache is made: a forward with use_cache left at its default (True, as
in eval) silently attends across samples. The explicit mask does not depend on that detection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypedDict

import torch

from uiray.train.tokenize import IGNORE


class PackedRow(TypedDict):
    input_ids: list[int]
    labels: list[int]
    position_ids: list[int]
    """0, 1, ... within each sample."""
    seq_lens: list[int]
    """Lengths of the row's samples, in order (cu_seqlens = their running sum from 0)."""
    ids: list
    """The samples' `id` values (None where an example has none), in order: which samples a row holds."""


def pack(examples: Sequence[Mapping[str, Sequence[int]]], seq_len: int) -> list[PackedRow]:
    """Pack examples (input_ids, labels) into rows of at most seq_len tokens, first-fit decreasing.

    Longest first, each into the first row with room: rows come out nearly full (first-fit decreasing
    uses at most 11/9 of the optimal number of rows) and the result is deterministic for a given input.
    The search is linear in the number of open rows, which is fine for one Ray Data batch (thousands
    of examples), not for a whole corpus in one call. An example longer than seq_len is an error:
    encode with max_len <= seq_len.
    """
    if seq_len < 1:
        raise ValueError(f"seq_len must be >= 1, got {seq_len}")
    order = sorted(range(len(examples)), key=lambda i: -len(examples[i]["input_ids"]))  # stable: ties keep order
    bins: list[list[int]] = []
    free: list[int] = []
    for i in order:
        n = len(examples[i]["input_ids"])
        if n > seq_len:
            raise ValueError(f"example {i} has {n} tokens, more than seq_len={seq_len}")
        if n == 0:
            continue
        slot = next((b for b, room in enumerate(free) if room >= n), None)
        if slot is None:
            bins.append([])
            free.append(seq_len)
            slot = len(bins) - 1
        bins[slot].append(i)
        free[slot] -= n
    return [_join([examples[i] for i in members]) for members in bins]


def _join(examples: Sequence[Mapping[str, Sequence[int]]]) -> PackedRow:
    row = PackedRow(input_ids=[], labels=[], position_ids=[], seq_lens=[], ids=[])
    for ex in examples:
        ids, labels = list(ex["input_ids"]), list(ex["labels"])
        if len(ids) != len(labels):
            raise ValueError(f"input_ids and labels differ in length ({len(ids)} vs {len(labels)})")
        row["input_ids"] += ids
        row["labels"] += [IGNORE, *labels[1:]]  # no target across the boundary (module docstring)
        row["position_ids"] += list(range(len(ids)))
        row["seq_lens"].append(len(ids))
        row["ids"].append(ex.get("id"))
    return row


def collate_packed(
    rows: Sequence[PackedRow], pad_id: int = 0, mask_dtype: torch.dtype = torch.float32
) -> dict[str, torch.Tensor]:
    """Packed rows -> a batch: input_ids, labels, position_ids (B, L), attention_mask (B, 1, L, L).

    Rows are right-padded to the longest; the padding is one more segment of its own (positions from 0,
    attending only to itself), so no row of the mask is empty and softmax never sees all -inf.
    """
    width = max(len(r["input_ids"]) for r in rows)
    input_ids, labels, positions, segments = [], [], [], []
    for r in rows:
        pad = width - len(r["input_ids"])
        lens = list(r["seq_lens"]) + ([pad] if pad else [])
        input_ids.append(list(r["input_ids"]) + [pad_id] * pad)
        labels.append(list(r["labels"]) + [IGNORE] * pad)
        positions.append(list(r["position_ids"]) + list(range(pad)))
        segments.append([s for s, n in enumerate(lens) for _ in range(n)])
    segment = torch.tensor(segments)
    return {
        "input_ids": torch.tensor(input_ids),
        "labels": torch.tensor(labels),
        "position_ids": torch.tensor(positions),
        "attention_mask": block_causal_mask(segment, mask_dtype),
    }


def block_causal_mask(segment: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(B, L) segment ids -> (B, 1, L, L) mask: query i may attend key j iff j <= i and both share a segment.

    bool dtype: True where allowed. Float dtypes: additive, 0.0 where allowed and finfo(dtype).min elsewhere.
    """
    width = segment.shape[-1]
    causal = torch.ones(width, width, dtype=torch.bool).tril()
    allowed = (segment[:, :, None] == segment[:, None, :]) & causal
    allowed = allowed[:, None]
    if dtype == torch.bool:
        return allowed
    return torch.zeros(allowed.shape, dtype=dtype).masked_fill(~allowed, torch.finfo(dtype).min)


def collate_padded(examples: Sequence[Mapping[str, Sequence[int]]], pad_id: int = 0) -> dict[str, torch.Tensor]:
    """Examples -> a right-padded batch: input_ids, labels (IGNORE on padding), attention_mask (B, L) of 0/1.

    The fallback when packing is off, and the layout DPO uses (chosen and rejected rows in one batch).
    Right padding keeps each sample's positions 0, 1, ... without position_ids.
    """
    width = max(len(ex["input_ids"]) for ex in examples)
    input_ids, labels, attention = [], [], []
    for ex in examples:
        n = len(ex["input_ids"])
        input_ids.append(list(ex["input_ids"]) + [pad_id] * (width - n))
        labels.append(list(ex["labels"]) + [IGNORE] * (width - n))
        attention.append([1] * n + [0] * (width - n))
    return {
        "input_ids": torch.tensor(input_ids),
        "labels": torch.tensor(labels),
        "attention_mask": torch.tensor(attention),
    }
