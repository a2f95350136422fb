"""Runs checks through Great Expectations 1.x and returns, per check, the rows it flagged.

GX is imported on first use (it takes seconds), with one ephemeral context per process,
analytics off, progress bars and log chatter silenced. Only the columns the checks read are
handed to GX, and the result format asks for failing row indexes and nothing costlier.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from axiom_features.quality.outcome import CheckError, CheckOutcome
from axiom_features.quality.rules import Check

_RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "partial_unexpected_count": 0,
    "include_unexpected_rows": False,
    "return_unexpected_index_query": False,
}


@cache
def _batch_definition() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = context.data_sources.add_pandas("axiom").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


def _suite(checks: Sequence[Check]) -> Any:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name=f"axiom-{uuid.uuid4().hex}")
    for check in checks:
        expectation_class = getattr(gxe, check.expectation)
        suite.add_expectation(expectation_class(**check.kwargs, meta={"check": check.key}))
    return suite


def run_checks_gx(frame: pd.DataFrame, checks: Sequence[Check]) -> dict[str, CheckOutcome]:
    """Validate ``frame`` against ``checks`` with GX; each check's outcome by its key.

    Row positions refer to ``frame``'s order (its index is not used).
    """
    unique = list({c.key: c for c in checks}.values())
    if not unique:
        return {}
    columns = list(dict.fromkeys(col for c in unique for col in c.columns if col in frame))
    data = frame[columns].reset_index(drop=True)
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": data})
    validation = batch.validate(_suite(unique), result_format=_RESULT_FORMAT)
    outcomes: dict[str, CheckOutcome] = {}
    for result in validation.results:
        key = result.expectation_config.meta["check"]
        error = _raised(result.exception_info)
        if error is not None:
            raise CheckError(f"check {key} could not run: {error}")
        index = result.result.get("unexpected_index_list")
        outcomes[key] = CheckOutcome(
            success=bool(result.success),
            unexpected=None if index is None else np.asarray(index, dtype=np.int64),
            observed=result.result.get("observed_value"),
        )
    return outcomes


def _raised(info: Any) -> str | None:
    """The exception message GX recorded for a result, flat or keyed by metric."""
    if not isinstance(info, dict):
        return None
    if "raised_exception" in info:
        return str(info.get("exception_message")) if info["raised_exception"] else None
    for value in info.values():
        message = _raised(value)
        if message is not None:
            return message
    return None
