"""The TA-Lib feature views, generated from ``talib.abstract`` metadata.

Every function of every TA-Lib group becomes one or more features (one per output, per
parameter variant), grouped into one view per TA-Lib group (Math Transform and Math
Operators share the view ``ta_math``). Inputs, parameters, outputs, descriptions and
warm-up lengths come from the abstract API; this module only says which parameter variants
and inputs to use where the defaults are not enough.

Choices, so that every column means something on daily prices:

- Parameter grids: SMA and EMA at 5/10/20/50/200; WMA at 10/20/50; RSI and ATR at
  7/14/21; ROC at 5/10/20; MOM and STDDEV at two windows; WILLR, CCI, ADX and AROON at two
  lengths. Every other function runs once with TA-Lib's default parameters.
- Math Transform: CEIL, FLOOR, LN, LOG10 and SQRT of close, and LN of volume. Skipped:
  ACOS and ASIN (NaN for inputs outside [-1, 1], i.e. for every price), ATAN and TANH
  (saturate to a constant for any price above a few units), SIN, COS and TAN (periodic in
  the raw price level, which has no meaning), SINH, COSH and EXP (overflow to infinity for
  prices above ~710 and grow with no financial meaning below it).
- Math Operators: SUB(high, low) is the bar range, SUB(close, open) the body, ADD(high,
  low) twice the median price, MULT(close, volume) the dollar volume, DIV(high, low) and
  DIV(close, open) the range and body as ratios; CUMSUM of volume; MAX, MIN, MAXINDEX and
  MININDEX of close over 30 bars; MINMAX and MINMAXINDEX of close over 60 bars; SUM of
  volume over 20 bars. The *INDEX functions return an absolute row position, which
  depends on where the history starts; they are turned into "bars since the extreme"
  (``post="bars_since"``: row number minus index, 0 to period-1).
- Two-series statistics: BETA(high, low) (how the bar's high moves with its low, TA-Lib's
  default inputs), CORREL(high, low) over 30 bars and CORREL(close, volume) over 20 bars
  (price-volume correlation).
- MAVP needs a period per bar: it gets an adaptive period from Kaufman's efficiency ratio
  over 10 bars, ``30 - ER * 28`` (fast average in trends, slow in noise); the ratio's own
  warm-up rows, which MAVP never reads, hold the slowest period.
- Cumulative functions (AD, OBV, PVT, NVI, PVI, WAD, VWAP, CUMSUM) and EMA-family
  functions depend on where the history starts, as in TA-Lib; they are causal.

Warm-up: the first ``warmup`` rows (TA-Lib's lookback for the parameters used) of every
feature are NaN. TA-Lib already returns NaN there for real-valued outputs; integer outputs
(the 61 candlestick patterns, HT_TRENDMODE, FRACTAL, SUPERTREND's trend, the *INDEX
functions) return 0 during their lookback, so those rows are set to NaN too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from functools import cache
from typing import NamedTuple

import numpy as np
import talib
from talib import abstract

from transforms.specs import FeatureSpec, ViewSpec

REVISION = 1
"""Bump when this module changes how any TA-Lib feature is computed."""

TRANSFORM_VERSION = f"talib-{talib.__version__}.r{REVISION}"

VIEW_TTL = timedelta(days=7)
"""Daily bars: a row stays valid over a weekend plus holidays, not over a trading halt."""

GROUP_VIEWS: dict[str, str] = {
    "Overlap Studies": "ta_overlap",
    "Momentum Indicators": "ta_momentum",
    "Volatility Indicators": "ta_volatility",
    "Volume Indicators": "ta_volume",
    "Cycle Indicators": "ta_cycle",
    "Statistic Functions": "ta_statistic",
    "Price Transform": "ta_price_transform",
    "Math Transform": "ta_math",
    "Math Operators": "ta_math",
    "Pattern Recognition": "ta_pattern",
}

SKIPPED: dict[str, str] = {
    "ACOS": "NaN for every price (domain is [-1, 1])",
    "ASIN": "NaN for every price (domain is [-1, 1])",
    "ATAN": "saturates to a constant on prices",
    "TANH": "saturates to a constant on prices",
    "SIN": "periodic in the raw price level; no meaning",
    "COS": "periodic in the raw price level; no meaning",
    "TAN": "periodic in the raw price level; no meaning",
    "SINH": "overflows to infinity on prices above ~710",
    "COSH": "overflows to infinity on prices above ~710",
    "EXP": "overflows to infinity on prices above ~710",
}


class Variant(NamedTuple):
    """One way to call a TA-Lib function: parameter overrides, inputs and a name stem."""

    parameters: Mapping[str, int | float] = {}
    inputs: tuple[str, ...] | None = None
    stem: str | None = None
    note: str = ""


def _windows(*lengths: int, key: str = "timeperiod") -> tuple[Variant, ...]:
    return tuple(Variant({key: n}) for n in lengths)


def _on(stem: str, *inputs: str, note: str = "", **parameters: int | float) -> Variant:
    return Variant(parameters, inputs, stem, note)


_BARS_SINCE = "as bars since the extreme (0 = this bar)"


VARIANTS: dict[str, tuple[Variant, ...]] = {
    "SMA": _windows(5, 10, 20, 50, 200),
    "EMA": _windows(5, 10, 20, 50, 200),
    "WMA": _windows(10, 20, 50),
    "RSI": _windows(7, 14, 21),
    "ATR": _windows(7, 14, 21),
    "ROC": _windows(5, 10, 20),
    "MOM": _windows(10, 20),
    "STDDEV": _windows(5, 20),
    "WILLR": _windows(14, 28),
    "CCI": _windows(14, 20),
    "ADX": _windows(14, 28),
    "AROON": _windows(14, 25),
    "CEIL": (_on("ceil_close", "close"),),
    "FLOOR": (_on("floor_close", "close"),),
    "LN": (_on("ln_close", "close"), _on("ln_volume", "volume")),
    "LOG10": (_on("log10_close", "close"),),
    "SQRT": (_on("sqrt_close", "close"),),
    "ADD": (_on("add_high_low", "high", "low"),),
    "SUB": (_on("sub_high_low", "high", "low"), _on("sub_close_open", "close", "open")),
    "MULT": (_on("mult_close_volume", "close", "volume"),),
    "DIV": (_on("div_high_low", "high", "low"), _on("div_close_open", "close", "open")),
    "CUMSUM": (_on("cumsum_volume", "volume"),),
    "MAX": (_on("max_close_30", "close", timeperiod=30),),
    "MIN": (_on("min_close_30", "close", timeperiod=30),),
    "MAXINDEX": (_on("maxindex_close_30", "close", note=_BARS_SINCE, timeperiod=30),),
    "MININDEX": (_on("minindex_close_30", "close", note=_BARS_SINCE, timeperiod=30),),
    "MINMAX": (_on("minmax_close_60", "close", timeperiod=60),),
    "MINMAXINDEX": (_on("minmaxindex_close_60", "close", note=_BARS_SINCE, timeperiod=60),),
    "SUM": (_on("sum_volume_20", "volume", timeperiod=20),),
    "BETA": (_on("beta_high_low_5", "high", "low", timeperiod=5),),
    "CORREL": (
        _on("correl_high_low_30", "high", "low", timeperiod=30),
        _on("correl_close_volume_20", "close", "volume", timeperiod=20),
    ),
    "MAVP": (
        _on(
            "mavp_er_2_30",
            "close",
            "er_periods",
            note="periods from Kaufman's efficiency ratio over 10 bars",
            minperiod=2,
            maxperiod=30,
        ),
    ),
}

POST: dict[str, str] = {
    "MAXINDEX": "bars_since",
    "MININDEX": "bars_since",
    "MINMAXINDEX": "bars_since",
}

MAVP_EFFICIENCY_WINDOW = 10
MAVP_MIN_PERIOD = 2
MAVP_MAX_PERIOD = 30


def efficiency_periods(arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """MAVP's period per bar: 30 in noise down to 2 in a clean trend (Kaufman's ER)."""
    ratio = talib.ER(arrays["close"], timeperiod=MAVP_EFFICIENCY_WINDOW)
    periods = MAVP_MAX_PERIOD - ratio * (MAVP_MAX_PERIOD - MAVP_MIN_PERIOD)
    periods[np.isnan(periods)] = MAVP_MAX_PERIOD
    return periods


class DerivedInput(NamedTuple):
    """An input series computed from the bars, and the rows it needs before it is defined."""

    compute: Callable[[Mapping[str, np.ndarray]], np.ndarray]
    warmup: int


DERIVED_INPUTS: dict[str, DerivedInput] = {
    "er_periods": DerivedInput(efficiency_periods, MAVP_EFFICIENCY_WINDOW),
}

_NAMED_WINDOWS = ("period", "bars")


def _default_inputs(info: Mapping) -> tuple[str, ...]:
    names: list[str] = []
    for value in info["input_names"].values():
        names.extend(value if isinstance(value, list) else [value])
    return tuple(names)


def _stem(function: str, parameters: Mapping[str, int | float]) -> str:
    windows = [str(v) for k, v in parameters.items() if any(w in k for w in _NAMED_WINDOWS)]
    return "_".join([function.lower(), *windows])


def _suffix(function: str, outputs: list[str], output: str) -> str:
    """``_<output>``, left out for single outputs and a first output the name already ends in."""
    lower = function.lower()
    if len(outputs) == 1 or (output == outputs[0] and lower.endswith(output)):
        return ""
    if output.startswith(lower) and len(output) > len(lower):
        return "_" + output[len(lower) :]
    return "_" + output


def _describe(
    info: Mapping, variant: Variant, parameters: Mapping, inputs: tuple[str, ...], output: str
) -> str:
    args = ", ".join(f"{k}={v}" for k, v in parameters.items())
    text = f"{info['display_name']} ({args}) of {', '.join(inputs)}"
    if len(info["output_names"]) > 1:
        text = f"{text}: {output}"
    return f"{text}; {variant.note}" if variant.note else text


def _warmup(function: str, parameters: Mapping, inputs: tuple[str, ...]) -> int:
    lookback = int(abstract.Function(function, **parameters).lookback)
    derived = [DERIVED_INPUTS[name].warmup for name in inputs if name in DERIVED_INPUTS]
    return max([lookback, *derived])


def function_features(function: str, view: str) -> list[FeatureSpec]:
    """Every feature of one TA-Lib function: one per output of each of its variants."""
    info = abstract.Function(function).info
    features = []
    for variant in VARIANTS.get(function, (Variant(),)):
        parameters = {**info["parameters"], **variant.parameters}
        inputs = variant.inputs or _default_inputs(info)
        stem = variant.stem or _stem(function, parameters)
        warmup = _warmup(function, parameters, inputs)
        outputs = info["output_names"]
        for output in outputs:
            features.append(
                FeatureSpec(
                    name=stem + _suffix(function, outputs, output),
                    view=view,
                    function=function,
                    inputs=inputs,
                    parameters=dict(parameters),
                    output=output,
                    dtype="float64",
                    version=TRANSFORM_VERSION,
                    description=_describe(info, variant, parameters, inputs, output),
                    warmup=warmup,
                    post=POST.get(function, ""),
                )
            )
    return features


@cache
def talib_views() -> tuple[ViewSpec, ...]:
    """One view per TA-Lib group (Math Transform and Math Operators share ``ta_math``)."""
    groups: dict[str, list[str]] = {}
    features: dict[str, list[FeatureSpec]] = {}
    for group, functions in talib.get_function_groups().items():
        view = GROUP_VIEWS[group]
        groups.setdefault(view, []).append(group)
        features.setdefault(view, []).extend(
            feature
            for function in functions
            if function not in SKIPPED
            for feature in function_features(function, view)
        )
    return tuple(
        ViewSpec(
            name=view,
            description=f"TA-Lib {' and '.join(groups[view])}: {len(features[view])} features",
            features=tuple(features[view]),
            ttl=VIEW_TTL,
        )
        for view in groups
    )
