"""What a symbol may be: the vendor's ticker as given, within limits every store can hold."""

from __future__ import annotations

import unicodedata

MAX_SYMBOL_LENGTH = 64
"""Longest accepted symbol, in characters."""


def symbol_problem(symbol: object) -> str | None:
    """Why ``symbol`` cannot be stored (one short phrase), or None when it can.

    Spaces, dots, slashes, quotes and non-ASCII letters are fine (``BRK B``, ``BRK/B``,
    ``株式会社``); empty values, control characters, unpaired surrogates and names longer than
    :data:`MAX_SYMBOL_LENGTH` are not.
    """
    if not isinstance(symbol, str):
        return "not text"
    if not symbol.strip():
        return "empty"
    if len(symbol) > MAX_SYMBOL_LENGTH:
        return f"{len(symbol)} characters, more than {MAX_SYMBOL_LENGTH}"
    kinds = {unicodedata.category(c) for c in symbol}
    if "Cc" in kinds:
        return "holds a control character"
    if "Cs" in kinds:
        return "holds an unpaired surrogate"
    return None
