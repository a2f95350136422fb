"""Fundamentals: the lake of quarterly filings, a synthetic generator and CSV import."""

from axiom_features.fundamentals.importer import (
    FundamentalsImportResult,
    Rejection,
    import_fundamentals_csv,
)
from axiom_features.fundamentals.lake import FundamentalsLake, empty_fundamentals
from axiom_features.fundamentals.paths import fundamentals_dir
from axiom_features.fundamentals.synthetic import generate_fundamentals, price_levels_of

__all__ = [
    "FundamentalsImportResult",
    "FundamentalsLake",
    "Rejection",
    "empty_fundamentals",
    "fundamentals_dir",
    "generate_fundamentals",
    "import_fundamentals_csv",
    "price_levels_of",
]
