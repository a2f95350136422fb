"""Whole-column conversions of Arrow text to bar values, exact where they answer at all.

Each function returns None unless every value of the column has a spelling whose
conversion is known to equal :mod:`.normalize`'s (pandas) conversion bit for bit; the
caller then converts the column the general way. So a column is either converted here in
one vectorised pass, or exactly as before.

- numbers: decimal text of at most 15 characters without an exponent (so the decimal
  value has at most 15 significant digits and both parsers round it correctly), or empty
  (missing); not ``-0``, which pandas may read as +0;
- timestamps: ``YYYY-MM-DDTHH:MM:SSZ`` in the years 1900–2099, valid dates and times only;
- symbols: text without blanks at either end (nothing for :func:`.raw.as_symbols` to strip).

The text comes from a plain file (:mod:`.plain_csv`: printable ASCII), where a blank is a space.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

MAX_NUMBER_CHARS = 15
ISO_UTC = (
    r"^(19|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$"
)
UTC_US = pa.timestamp("us", tz="UTC")


def plain_floats(text: pa.Array) -> np.ndarray | None:
    """``text`` as float64 (empty → NaN), or None when a value needs the general parser."""
    lengths = pc.binary_length(text)
    if len(text) and pc.max(lengths).as_py() > MAX_NUMBER_CHARS:
        return None
    if any(pc.any(pc.match_substring(text, letter)).as_py() for letter in "eE"):
        return None  # an exponent
    empty = pc.equal(lengths, 0)
    blanks = pc.any(empty).as_py()
    try:
        values = pc.cast(pc.if_else(empty, "0", text) if blanks else text, pa.float64())
    except pa.ArrowInvalid:
        return None
    numbers = values.to_numpy(zero_copy_only=False).copy()
    if not np.isfinite(numbers).all() or (np.signbit(numbers) & (numbers == 0)).any():
        return None
    if blanks:
        numbers[empty.to_numpy(zero_copy_only=False)] = np.nan
    return numbers


def plain_timestamps(text: pa.Array) -> pd.Series | None:
    """``text`` as UTC timestamps (µs), or None when a value needs the general parser."""
    if len(text) and not pc.all(pc.match_substring_regex(text, ISO_UTC)).as_py():
        return None
    try:
        stamps = pc.cast(text, UTC_US)
    except pa.ArrowInvalid:
        return None
    micros = stamps.cast(pa.int64()).to_numpy(zero_copy_only=False).view("datetime64[us]")
    return pd.Series(micros, dtype="datetime64[us, UTC]")  # UTC as pandas names it, not pytz


def plain_symbols(text: pa.Array) -> np.ndarray | None:
    """``text`` as Python strings, or None when a value is empty or has blanks to strip."""
    if len(text) and not pc.all(pc.greater(pc.binary_length(text), 0)).as_py():
        return None
    if pc.any(pc.starts_with(text, " ")).as_py() or pc.any(pc.ends_with(text, " ")).as_py():
        return None
    encoded = pc.dictionary_encode(text)
    names = np.array(encoded.dictionary.to_pylist(), dtype=object)
    return names[encoded.indices.to_numpy(zero_copy_only=False)]
