"""Every feature family of the platform, in catalogue order."""

from __future__ import annotations

from transforms.family import Family
from transforms.fundamentals import FUNDAMENTALS
from transforms.microstructure import MICROSTRUCTURE
from transforms.regime import REGIME
from transforms.risk import RISK
from transforms.sentiment import SENTIMENT
from transforms.talib_family import TALIB

FAMILIES: tuple[Family, ...] = (TALIB, FUNDAMENTALS, SENTIMENT, MICROSTRUCTURE, RISK, REGIME)


def family_named(name: str) -> Family:
    for family in FAMILIES:
        if family.name == name:
            return family
    raise KeyError(f"unknown feature family {name!r}; known: {[f.name for f in FAMILIES]}")
