"""MinHash pieces of near-duplicate detection: normalisation, exact hashes, shingles, datasketch signatures and
LSH band keys. Pure functions of one document (or a signature matrix); uiray/data/dedup.py runs them on Ray Data.

datasketch is imported where it is used: it pulls in scipy (~0.5 s), and the shuffle's aggregator actors, which
are new processes on every dedup run, import uiray.data.dedup (and so this module) only to call bucket_edges.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from uiray.config import DedupConfig

MINHASH_SEED = 1
"""Seed of the MinHash permutations (datasketch's default). Signatures are only comparable under one seed."""
LSH_WEIGHTS = (0.2, 0.8)
"""(false positive, false negative) weights of the band optimisation. Recall is favoured because a false
positive costs one signature comparison (every candidate is verified) while a false negative is a lost
duplicate: at threshold 0.8 this gives 12 bands x 10 rows, a pair at J=0.9 becomes a candidate with p=0.994
(0.929 with datasketch's default equal weights)."""
_WHITESPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """The text exact-duplicate detection compares: NFC, whitespace runs as one space, ends stripped.

    Whitespace is ignored because copies of one page differ in indentation, CRLF vs LF and trailing spaces
    without rendering differently; case is kept because HTML attributes and JavaScript are case-sensitive.
    """
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def text_hash(normalised: str) -> int:
    """64-bit BLAKE2b of a normalised text, as int64: equal hashes mean exact duplicates (a false match between
    two of 10M distinct documents has probability ~3e-6)."""
    return int.from_bytes(hashlib.blake2b(normalised.encode(), digest_size=8).digest(), "little", signed=True)


def shingles(text: str, k: int) -> set[str]:
    """All k-character substrings. A text shorter than k is its own single shingle; an empty text has none."""
    if len(text) < k:
        return {text} if text else set()
    return {text[i : i + k] for i in range(len(text) - k + 1)}


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> np.ndarray:
    # Building a MinHash draws its permutations from a RandomState each time (~0.1 ms); reuse them.
    from datasketch import MinHash

    return MinHash(num_perm=num_perm, seed=seed).permutations


def minhash(normalised: str, cfg: DedupConfig) -> np.ndarray:
    from datasketch import MinHash

    perms = _permutations(cfg.num_perm, MINHASH_SEED)
    m = MinHash(num_perm=cfg.num_perm, seed=MINHASH_SEED, permutations=perms, scheme="affine32")
    m.update_batch([s.encode() for s in shingles(normalised, cfg.shingle_chars)])
    return m.hashvalues


def signature(text: str, cfg: DedupConfig) -> np.ndarray:
    """datasketch MinHash (affine32 scheme, seed MINHASH_SEED) of the normalised text's shingles, as uint32[num_perm].

    Each distinct shingle is hashed once (a set, fed through update_batch); the empty text gets the all-max
    signature, which only equals another empty text's.
    """
    return minhash(normalise(text), cfg)


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of equal MinHash values: the unbiased Jaccard estimate (what MinHash.jaccard computes).

    Written as count / num_perm, the same arithmetic as the vectorised check in bucket_edges, so the pipeline
    and a loop using this function accept exactly the same pairs."""
    return np.count_nonzero(a == b) / len(a)


@lru_cache(maxsize=32)
def band_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) of datasketch's MinHashLSH for this threshold: the pair minimising the LSH_WEIGHTS-weighted
    integrals of false-positive and false-negative probability of the S-curve 1-(1-s^r)^b. Taken from
    MinHashLSH itself so that the pipeline and a datasketch index with these weights bucket identically."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=LSH_WEIGHTS)
    return lsh.b, lsh.r


_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * _M1
    h = h ^ (h >> np.uint64(33))
    h = h * _M2
    return h ^ (h >> np.uint64(33))


def band_key_matrix(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """int64[n, bands]: a 64-bit hash of (band index, the band's `rows` signature values) per document.

    Mixing the band index in lets all bands share one key column. A 64-bit collision only adds a candidate
    pair, which verification then rejects, so keys need not be exact like MinHashLSH's byte strings.
    """
    values = np.asarray(sigs, dtype=np.uint64)[:, : bands * rows].reshape(len(sigs), bands, rows)
    h = np.broadcast_to(np.arange(1, bands + 1, dtype=np.uint64) * _GOLDEN, values.shape[:2]).copy()
    for j in range(rows):
        h = _fmix64(h ^ values[:, :, j])
    return h.view(np.int64)


def band_keys(sig: np.ndarray, bands: int, rows: int) -> list[int]:
    """The band keys of one signature (two documents share a bucket iff some key is equal)."""
    return band_key_matrix(np.asarray(sig)[None, :], bands, rows)[0].tolist()
