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

Once every handle is open, a step is one call per handle and a few array assignments
(:class:`_OpenPlan`): the calls are grouped by their inputs, single-output calls first, so
their values land in the output with one indexed assignment.
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


@dataclass(frozen=True)
class _OpenPlan:
    """How a step of fully open handles runs: which methods to call, where values go."""

    groups: tuple[tuple[tuple[str, ...], tuple[Callable[..., Any], ...]], ...]
    """Input names and the bound ``update`` methods taking them; single-output calls first."""
    singles: int
    """How many of the calls (the first ones) return one value."""
    single_from: np.ndarray
    """Per single-output target: position of its value among the single results."""
    single_rows: np.ndarray
    multi: tuple[tuple[tuple[int, int], ...], ...]
    """Per multi-output call (in call order after the singles): (output, row) of its targets."""
    warm_rows: np.ndarray
    warm_until: np.ndarray
    """Rows and the position before which each is NaN (the batch's warm-up)."""
    post_rows: np.ndarray
    """Rows holding ``bars since``: the position minus the output."""


def _open_plan(calls: Sequence[StreamCall], handles: Sequence[Handle]) -> _OpenPlan:
    values = [h.value for h in handles]
    outputs = [len(v) if isinstance(v, tuple) else 1 for v in values]
    order = sorted(range(len(calls)), key=lambda i: (outputs[i] > 1, calls[i].call.inputs))
    groups: dict[tuple[bool, tuple[str, ...]], list[Callable[..., Any]]] = {}
    single_from, single_rows, multi = [], [], []
    warm_rows, warm_until, post_rows = [], [], []
    singles = 0
    for i in order:
        call = calls[i].call
        groups.setdefault((outputs[i] > 1, call.inputs), []).append(handles[i].update)
        if outputs[i] == 1:
            for _, row, _, _ in call.targets:
                single_from.append(singles)
                single_rows.append(row)
            singles += 1
        else:
            multi.append(tuple((index, row) for index, row, _, _ in call.targets))
        for _, row, warmup, post in call.targets:
            warm_rows.append(row)
            warm_until.append(warmup)
            if post == "bars_since":
                post_rows.append(row)
    return _OpenPlan(
        groups=tuple((inputs, tuple(methods)) for (_, inputs), methods in groups.items()),
        singles=singles,
        single_from=np.array(single_from, dtype=np.intp),
        single_rows=np.array(single_rows, dtype=np.intp),
        multi=tuple(multi),
        warm_rows=np.array(warm_rows, dtype=np.intp),
        warm_until=np.array(warm_until, dtype=np.int64),
        post_rows=np.array(post_rows, dtype=np.intp),
    )


class TalibHandles:
    """One symbol's TA-Lib handles over ``views``; :meth:`step` advances them by one bar."""

    def __init__(self, views: Sequence[ViewSpec], history: Mapping[str, np.ndarray]) -> None:
        self.plan = plan_for(views)
        self.calls = _stream_calls(self.plan)
        self.handles: list[Handle | None] = [None] * len(self.calls)
        self._er: Handle | None = None
        self._plan: _OpenPlan | None = None
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
        if self._plan is None and self.complete:
            self._plan = _open_plan(self.calls, self.handles)
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
        if self._plan is None and self.complete:
            self._plan = _open_plan(self.calls, self.handles)
        if self._plan is not None:
            self._step_open(bar, out)
            return
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

    def _step_open(self, bar: Mapping[str, float], out: np.ndarray) -> None:
        """:meth:`step` when every handle is open."""
        plan = self._plan
        assert plan is not None
        position = self.count
        values = dict(bar)
        if self._er is not None:
            values["er_periods"] = _er_period(self._er.update(bar["close"]))
        results: list[Any] = []
        for inputs, methods in plan.groups:
            if len(inputs) == 1:
                value = values[inputs[0]]
                results.extend([update(value) for update in methods])
            else:
                args = [values[name] for name in inputs]
                results.extend([update(*args) for update in methods])
        singles = np.array(results[: plan.singles], dtype=np.float64)
        out[plan.single_rows] = singles[plan.single_from]
        for result, targets in zip(results[plan.singles :], plan.multi, strict=True):
            for index, row in targets:
                out[row] = result[index]
        if len(plan.post_rows):
            out[plan.post_rows] = position - out[plan.post_rows]
        early = plan.warm_rows[position < plan.warm_until]
        if len(early):
            out[early] = np.nan
        self.count = position + 1


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
