"""Rule validation of answers: is there a complete, finished page of a sensible length?

    check            filtered reason            applies to
    page found       no page in the answer      sft completion, pref chosen
    complete         truncated / imbalance      (the reward's completeness issues, by kind)
    no skeletons     placeholder / empty_handler
    length window    too short / too long       tokens of the answer, with the real tokenizer

RL prompts and text documents have no answer and pass. A preference pair's rejected side is allowed to be bad (that is
the point), but must be non-empty (checked when the row was normalised). Rows are never dropped here:
a failing row gets `filtered` set to the reason and the stage writes it to filtered/.

The render check (does the page load without errors, do its controls work) needs a browser and runs
in the scoring step, through the reward actors.
"""

from __future__ import annotations

from uiray.page.extract import extract_html
from uiray.page.heuristics import completeness

VALIDATION_COLUMNS = ("html", "tokens", "filtered", "pre_score")
"""Columns added to every row: the extracted page, answer tokens, the filter reason (None: passed), and
a cheap quality score (completeness) that dedup uses to pick cluster representatives before scoring."""


def answer_of(row: dict) -> str | None:
    return {"sft": row.get("completion"), "pref": row.get("chosen")}.get(row.get("kind"))


def check_answer(answer: str, tokens: int, min_tokens: int, max_tokens: int) -> tuple[str | None, str | None, float]:
    """(page HTML, filter reason or None, pre_score) for one answer of `tokens` tokens."""
    found = extract_html(answer)
    if found is None:
        return None, "no page in the answer", 0.0
    done = completeness(found.html)
    if done.issues:
        kind = done.issues[0].split(":", 1)[0]
        return found.html, f"{kind}: {done.issues[0].split(':', 1)[1].strip()[:80]}", done.score
    if tokens < min_tokens:
        return found.html, f"too short ({tokens} < {min_tokens} tokens)", done.score
    if tokens > max_tokens:
        return found.html, f"too long ({tokens} > {max_tokens} tokens)", done.score
    return found.html, None, done.score


class Validator:
    """Dataset.map_batches UDF (pyarrow batches): adds VALIDATION_COLUMNS. Loads the tokenizer once.

    Arrow in and out, not pandas: pandas turns a missing string into NaN, which would reach the reward
    (and the SFT set) as a float.
    """

    def __init__(self, model_path: str, min_tokens: int, max_tokens: int):
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(model_path)
        self.min_tokens, self.max_tokens = min_tokens, max_tokens

    def __call__(self, batch):
        import pyarrow as pa

        answers = [answer_of(row) for row in batch.select(["kind", "completion", "chosen"]).to_pylist()]
        texts = [a for a in answers if a]
        counts = (
            iter(len(ids) for ids in self.tokenizer(texts, add_special_tokens=False)["input_ids"]) if texts else None
        )
        html, tokens, filtered, pre = [], [], [], []
        for answer in answers:
            if not answer:  # RL prompts, text documents, quarantined rows
                html.append(None), tokens.append(0), filtered.append(None), pre.append(1.0)
                continue
            n = next(counts)
            page, reason, score = check_answer(answer, n, self.min_tokens, self.max_tokens)
            html.append(page), tokens.append(n), filtered.append(reason), pre.append(score)
        columns = {"html": pa.string(), "tokens": pa.int64(), "filtered": pa.string(), "pre_score": pa.float64()}
        for (name, kind), values in zip(columns.items(), (html, tokens, filtered, pre), strict=True):
            batch = batch.append_column(name, pa.array(values, type=kind))
        return batch
