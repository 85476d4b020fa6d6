"""The generator of uiray's embedded corpus: a build step, not part of the installed package.

`tools/build_corpus.py` runs it and writes the rows that uiray ships (uiray/data/embedded_corpus.parquet);
tests import it (pytest puts tools/ on the path) to prove the shipped rows are its output.
"""

from corpusgen.generate import CATEGORIES, generate_corpus, iter_corpus, jaccard, shingles, write_corpus

__all__ = ["CATEGORIES", "generate_corpus", "iter_corpus", "jaccard", "shingles", "write_corpus"]
