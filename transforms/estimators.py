"""Views built from a table of estimators, and computing them: shared by the bar-based families.

A family lists its features as rows ``(name, function, inputs, parameters, warm-up,
description)``; ``function`` names an entry of the family's estimator table, called with the
family's input context and the feature's parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from transforms.specs import FeatureSpec, ViewSpec

FeatureRow = tuple[str, str, tuple[str, ...], Mapping[str, Any], int, str]
Estimator = Callable[..., np.ndarray]


def estimator_view(
    name: str,
    description: str,
    rows: Sequence[FeatureRow],
    *,
    version: str,
    ttl: timedelta,
    rename_input: Callable[[str], str] = lambda column: column,
) -> ViewSpec:
    """A view whose features are ``rows``, all of family ``name`` at ``version``."""
    features = tuple(
        FeatureSpec(
            name=feature,
            view=name,
            function=function,
            inputs=tuple(rename_input(i) for i in inputs),
            parameters=dict(parameters),
            output="value",
            dtype="float64",
            version=version,
            description=text,
            warmup=warmup,
            transform=name,
        )
        for feature, function, inputs, parameters, warmup, text in rows
    )
    return ViewSpec(
        name=name, description=f"{description}: {len(features)}", features=features, ttl=ttl
    )


def compute_estimators(
    views: Sequence[ViewSpec],
    estimators: Mapping[str, Estimator],
    context: object,
    index: pd.Index,
) -> pd.DataFrame:
    """One float64 column per feature of ``views``: its estimator applied to ``context``."""
    columns = {
        f.name: estimators[f.function](context, **f.parameters)
        for view in views
        for f in view.features
    }
    return pd.DataFrame(columns, index=index, dtype=np.float64)
