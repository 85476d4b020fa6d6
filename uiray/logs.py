"""Logging: one `uiray` logger tree; messages go to stderr as `[uiray data] ...` lines (the logger's name).

    log = logging.getLogger("uiray.data")     # in a module;  setup_logging() once per process

Level: `uiray --log-level LEVEL`, else UIRAY_LOG_LEVEL, else INFO. Ray workers and actors that log call
setup_logging() too; the driver's level reaches them in UIRAY_LOG_LEVEL (uiray/cluster.py passes it on).
A command's own output (its result, `--json`) is printed to stdout and never mixed with these lines.
"""

from __future__ import annotations

import logging
import os
import sys

ENV = "UIRAY_LOG_LEVEL"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class _Format(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        level = f"{record.levelname} " if record.levelno >= logging.WARNING else ""  # WARNING, ERROR, ...
        return f"[{record.name.replace('.', ' ')}] {level}{record.getMessage()}"


class _Stderr(logging.StreamHandler):
    """A handler on whatever sys.stderr is when a line is written (pytest and others swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def setup_logging(level: str | None = None) -> None:
    """Give the `uiray` logger its stderr handler (once per process) and set its level."""
    level = (level or os.environ.get(ENV) or "INFO").upper()
    if level not in LEVELS:
        raise ValueError(f"log level {level!r} is not one of {', '.join(LEVELS)}")
    logger = logging.getLogger("uiray")
    if not any(getattr(handler, "uiray", False) for handler in logger.handlers):
        handler = _Stderr()
        handler.setFormatter(_Format())
        handler.uiray = True
        logger.addHandler(handler)
        logger.propagate = False  # Ray and others configure the root logger; these lines are ours alone
    logger.setLevel(level)
