"""The one stable hash split: a number in [0, 1) per (key, seed), the same on every run and machine.

The data stage's RL split (by prompt), and training's held-out split and data order (by id), hang on it."""

from __future__ import annotations

import hashlib


def split_key(key: str, seed: int) -> float:
    """A stable number in [0, 1) for (key, seed): uniform over keys, independent across seeds."""
    digest = hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
