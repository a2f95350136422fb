"""A file's rows as read, before any conversion, with the line each row came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

NULL_TOKENS = frozenset(
    {"", "#N/A", "#N/A N/A", "#NA", "-NaN", "-nan", "<NA>", "N/A", "NA", "NULL", "NaN", "None",
     "n/a", "nan", "null"}
)  # fmt: skip
"""Texts that mean "no value" (pandas' defaults)."""


@dataclass
class RawFile:
    """Rows of one source as read: CSV values stay text, Parquet values keep their types."""

    path: Path
    frame: pd.DataFrame
    lines: np.ndarray
    """Where each row is: the physical line in a CSV (header = 1), the row number in Parquet."""
    notes: list[str] = field(default_factory=list)
    """What the reader noticed or decided, e.g. a delimiter other than ','."""
    flags: dict[str, np.ndarray] = field(default_factory=dict)
    """Rule name → rows the reader already found faulty (e.g. a wrong field count)."""
    text: pa.Table | None = None
    """The same rows as Arrow text columns, when a reader has them (:mod:`.plain_csv`):
    conversions then run on whole columns (:mod:`.plain_values`)."""

    @property
    def name(self) -> str:
        return str(self.path)


def as_text(values: pd.Series) -> pd.Series:
    """``values`` as stripped strings (object dtype), with every "no value" spelling as None."""
    text = values.astype(object).where(values.notna(), None)
    text = text.map(lambda v: str(v).strip(), na_action="ignore")
    return text.where(~text.isin(NULL_TOKENS), None)


def as_symbols(values: pd.Series) -> pd.Series:
    """Tickers as the vendor spells them: case kept (a symbol is a case-sensitive
    identifier), surrounding blanks removed (CSV padding), only an empty value missing
    (``NA``, ``NULL`` and ``None`` are tickers)."""
    text = values.astype(object).where(values.notna(), None)
    text = text.map(lambda v: str(v).strip(), na_action="ignore")
    return text.where(text != "", None)
