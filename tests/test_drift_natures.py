"""Every catalogue feature says what kind of series it is; that is metadata, not version."""

from __future__ import annotations

import dataclasses

import pytest

from transforms.catalogue import catalogue
from transforms.natures import NATURES
from transforms.specs import view_version


def test_every_catalogue_feature_has_a_known_nature() -> None:
    missing = [f.name for f in catalogue().features if f.nature not in NATURES]
    assert missing == []


@pytest.mark.parametrize(
    ("feature", "nature"),
    [
        ("rsi_14", "bounded_oscillator"),
        ("roc_10", "return_like"),
        ("sma_20", "level"),
        ("obv", "cumulative"),
        ("cumsum_volume", "cumulative"),
        ("sent_count_20b", "count"),
        ("f_pe", "fundamental"),
        ("cdlengulfing", "categorical"),
        ("regime_vol_code", "categorical"),
        ("risk_vol_21", "return_like"),
        ("ms_dollar_volume_21", "level"),
    ],
)
def test_natures_of_well_known_features(feature: str, nature: str) -> None:
    assert catalogue().feature(feature).nature == nature


def test_the_nature_is_not_part_of_a_view_version() -> None:
    view = catalogue().view("ta_volume")
    relabelled = tuple(dataclasses.replace(f, nature="count") for f in view.features)
    assert view_version(relabelled) == view.version


def test_an_unknown_nature_is_rejected_naming_the_feature() -> None:
    spec = catalogue().feature("obv")
    with pytest.raises(ValueError, match="obv.*unknown nature 'trend'"):
        dataclasses.replace(spec, nature="trend")


def test_the_catalogue_listing_shows_the_nature() -> None:
    records = {r["name"]: r for r in catalogue().to_records()}
    assert records["obv"]["nature"] == "cumulative"
