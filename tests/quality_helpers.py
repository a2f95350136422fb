"""Bars for quality tests: clean synthetic series and writers of vendor-style files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from axiom_features.synthetic.bars import generate_bars, vendor_frame

NOW = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)


def clean_bars(symbols: int | list[str] = 3, days: int = 120, seed: int = 11) -> pd.DataFrame:
    """Synthetic daily bars stamped at XNYS session closes up to ``NOW``."""
    return generate_bars(symbols, days, seed=seed, end=NOW, created_at=NOW)


def write_vendor_csv(bars: pd.DataFrame, path: Path) -> Path:
    """``bars`` as a vendor CSV (Date, Ticker, Open, High, Low, Close, Volume), lines = row + 2."""
    vendor = vendor_frame(bars)
    path.parent.mkdir(parents=True, exist_ok=True)
    vendor.to_csv(path, index=False)
    return path
