"""TA-Lib views carried forward with TA-Lib 0.8's streaming handles.

Each distinct call of the TA-Lib plan gets one handle, opened from the symbol's whole bar
history (``<FUNC>_Stream(*history, **parameters)``) and updated in O(1) per bar. A handle
opened from the full history and then updated gives the value the batch function computes
on the full series, bit for bit, including functions with an unstable period (EMA, RSI, …).
A call whose history is still too short (``talib.InsufficientHistory``) stays closed and is
opened again once enough bars arrived; until then its outputs are NaN, which the batch's
warm-up rows are too.

Handles point into the C library and do not cross a process boundary: a state saved to
disk keeps the bars, and loading reopens the handles from them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import talib
from talib import _ta_lib

from transforms.compute import BAR_INPUTS, Call, Plan, plan_for
from transforms.specs import ViewSpec
from transforms.talib_features import (
    DERIVED_INPUTS,
    MAVP_EFFICIENCY_WINDOW,
    MAVP_MAX_PERIOD,
    MAVP_MIN_PERIOD,
)

Handle = Any
HistoryOf = Callable[[], Mapping[str, np.ndarray]]


@dataclass(frozen=True)
class StreamCall:
    """One call of the plan and the handle class that streams it."""

    call: Call
    stream: type

    @property
    def name(self) -> str:
        return self.call.function.__name__


def _stream_calls(plan: Plan) -> tuple[StreamCall, ...]:
    return tuple(
        StreamCall(call, getattr(_ta_lib, f"{call.function.__name__}_Stream"))
        for call in plan.calls
    )


def _er_period(ratio: float) -> float:
    """MAVP's period from one efficiency ratio (the scalar form of ``efficiency_periods``)."""
    if np.isnan(ratio):
        return float(MAVP_MAX_PERIOD)
    return MAVP_MAX_PERIOD - ratio * (MAVP_MAX_PERIOD - MAVP_MIN_PERIOD)


class TalibHandles:
    """One symbol's TA-Lib handles over ``views``; :meth:`step` advances them by one bar."""

    def __init__(self, views: Sequence[ViewSpec], history: Mapping[str, np.ndarray]) -> None:
        self.plan = plan_for(views)
        self.calls = _stream_calls(self.plan)
        self.handles: list[Handle | None] = [None] * len(self.calls)
        self._er: Handle | None = None
        self.count = 0
        self.open(history)

    def open(self, history: Mapping[str, np.ndarray]) -> list[int]:
        """Open every closed handle from the whole ``history``; returns those opened now."""
        self.count = len(history["close"])
        inputs = {name: np.ascontiguousarray(history[name]) for name in BAR_INPUTS}
        for name in self.plan.derived_inputs:
            inputs[name] = DERIVED_INPUTS[name].compute(inputs)
        if "er_periods" in self.plan.derived_inputs and self._er is None:
            self._er = _opened(_ta_lib.ER_Stream, (inputs["close"],), MAVP_EFFICIENCY_WINDOW)
        opened = []
        for i, stream_call in enumerate(self.calls):
            if self.handles[i] is None:
                call = stream_call.call
                arrays = tuple(inputs[name] for name in call.inputs)
                self.handles[i] = _opened(stream_call.stream, arrays, None, call.parameters)
                if self.handles[i] is not None:
                    opened.append(i)
        return opened

    @property
    def complete(self) -> bool:
        """Whether every handle is open (the history is not needed any more)."""
        er_open = self._er is not None or "er_periods" not in self.plan.derived_inputs
        return er_open and all(h is not None for h in self.handles)

    def step(self, bar: Mapping[str, float], history: HistoryOf, out: np.ndarray) -> None:
        """Advance the handles by ``bar`` and write every feature of the plan into ``out``.

        ``history()`` returns the symbol's bars including ``bar``; it is read only while a
        handle is still closed, to try opening it there (its value is then this bar's).
        """
        position = self.count
        values = dict(bar)
        if self._er is not None:
            values["er_periods"] = _er_period(self._er.update(bar["close"]))
        elif "er_periods" in self.plan.derived_inputs:
            values["er_periods"] = float(MAVP_MAX_PERIOD)
        results: list[Any] = [None] * len(self.calls)
        for i, (stream_call, handle) in enumerate(zip(self.calls, self.handles, strict=True)):
            if handle is not None:
                results[i] = handle.update(*[values[name] for name in stream_call.call.inputs])
        if not self.complete:
            for i in self.open(history()):
                results[i] = self.handles[i].value
        self.count = position + 1
        for stream_call, result in zip(self.calls, results, strict=True):
            outputs = result if isinstance(result, tuple) else (result,)
            for index, row, warmup, post in stream_call.call.targets:
                if result is None or position < warmup:
                    out[row] = np.nan
                    continue
                value = float(outputs[index])
                out[row] = position - value if post == "bars_since" else value


def _opened(
    stream: type,
    arrays: tuple[np.ndarray, ...],
    timeperiod: int | None,
    parameters: Mapping[str, int | float] | None = None,
) -> Handle | None:
    """A handle opened from ``arrays``, or None while the history is too short."""
    kwargs = dict(parameters or {})
    if timeperiod is not None:
        kwargs["timeperiod"] = timeperiod
    try:
        return stream(*arrays, **kwargs)
    except talib.InsufficientHistory:
        return None
