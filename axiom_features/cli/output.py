"""What the CLI prints when its output is not a terminal, and tables that fit any width.

Feast prints colour codes (colorama) and, on every import of the definitions, "No project
found in the repository…"; in a log file or a pipe both are noise. :func:`plain_when_redirected`
puts a :class:`PlainStream` in front of ``sys.stdout`` when it is not a terminal: escape
sequences are removed and that line dropped. :class:`FoldingConsole` prints every table with
its cells folded onto more lines instead of cut with "…" (at 80 columns, the width of a
redirected console, paths and feature names did not fit).
"""

from __future__ import annotations

import re
import sys
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
DROPPED = ("No project found in the repository",)


class PlainStream:
    """A text stream that writes through to ``target`` without escape codes or Feast's
    project notice (whole lines are buffered until their newline)."""

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self._line = ""

    def write(self, text: str) -> int:
        self._line += ANSI.sub("", text)
        *lines, self._line = self._line.split("\n")
        for line in lines:
            if not line.startswith(DROPPED):
                self.target.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        if self._line and not self._line.startswith(DROPPED):
            self.target.write(self._line)
        self._line = ""
        self.target.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, …
        return getattr(self.target, name)


def plain_when_redirected() -> None:
    """Install :class:`PlainStream` on ``sys.stdout`` unless it is a terminal."""
    if not isinstance(sys.stdout, PlainStream) and not sys.stdout.isatty():
        sys.stdout = PlainStream(sys.stdout)


def folded(renderable: Any) -> Any:
    """``renderable`` with, if it is a table, every column folding long cells."""
    if isinstance(renderable, Table):
        for column in renderable.columns:
            column.overflow = "fold"
    return renderable


class FoldingConsole(Console):
    """A rich console whose tables fold long cells instead of cutting them."""

    def print(self, *objects: Any, **kwargs: Any) -> None:  # noqa: A003 - rich's name
        super().print(*(folded(o) for o in objects), **kwargs)
