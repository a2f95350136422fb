"""GX's column type expectations on a pandas frame, decided as GX 1.x decides them.

``ExpectColumnTypeToBe`` compares the column's dtype with the named pandas dtype (a
unit-less ``datetime64`` matches any unit; ``str`` and ``string`` string dtypes differ).
``ExpectColumnValuesToBeInTypeList`` compares the dtype with the listed types, except on an
``object`` column, where each non-missing value must be an instance of one of them. The type
names resolve as GX resolves them (NumPy dtype, pandas class, Python builtin). Answering these
here lets a small batch be validated without importing Great Expectations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas._libs import lib
from pandas.api.extensions import ExtensionDtype
from pandas.api.types import pandas_dtype

from axiom_features.quality.outcome import CheckOutcome
from axiom_features.quality.rules import Check

TYPE_EXPECTATIONS = frozenset({"ExpectColumnTypeToBe", "ExpectColumnValuesToBeInTypeList"})

_NATIVE: dict[str, tuple[type, ...]] = {
    "none": (type(None),),
    "bool": (bool,),
    "int": (int,),
    "long": (int,),
    "float": (float,),
    "bytes": (bytes,),
    "complex": (complex,),
    "str": (str,),
    "string_types": (str,),
    "list": (list,),
    "dict": (dict,),
}


def _pandas_class(name: str) -> list[type]:
    found = []
    for module in (pd, pd.core.dtypes.dtypes):
        candidate = getattr(module, name, None)
        if isinstance(candidate, type):
            found.append(candidate)
    return found


def _type_candidates(names: Sequence[str], with_dtypes: bool) -> list[object]:
    """What a column's dtype (``with_dtypes``) or a value's type is compared against."""
    out: list[object] = []
    for name in names:
        try:
            out.append(np.dtype(name).type)
            if with_dtypes:
                out.append(np.dtype(name))
        except TypeError:
            for cls in _pandas_class(name):
                out.append(cls)
                if with_dtypes:
                    try:
                        if isinstance(cls(), ExtensionDtype):
                            out.append(cls())
                    except TypeError:
                        pass
        out.extend(_NATIVE.get(name.lower(), ()))
    return out


def _dtype_matches(actual: object, expected: str) -> bool:
    parsed = pandas_dtype(expected)
    if isinstance(parsed, np.dtype) and parsed.kind in "mM":
        if np.datetime_data(parsed)[0] == "generic":
            return isinstance(actual, np.dtype) and actual.kind == parsed.kind
    if isinstance(actual, pd.StringDtype) and isinstance(parsed, pd.StringDtype):
        return str(actual) == str(parsed)
    return actual in (parsed, expected)


def answerable(check: Check, frame: pd.DataFrame) -> bool:
    """Whether :func:`run_type_check` decides ``check`` on ``frame`` exactly as GX would."""
    column = check.kwargs.get("column")
    if check.expectation not in TYPE_EXPECTATIONS or column not in frame:
        return False
    if check.expectation == "ExpectColumnTypeToBe":
        try:
            pandas_dtype(check.kwargs.get("type_"))
        except Exception:  # GX reports an unknown type name its own way
            return False
        return True
    names = check.kwargs.get("type_list")
    return names is None or bool(_type_candidates(names, with_dtypes=False))


def run_type_check(frame: pd.DataFrame, check: Check) -> CheckOutcome:
    """The outcome of a type expectation that :func:`answerable` accepts."""
    column = frame[check.kwargs["column"]]
    if check.expectation == "ExpectColumnTypeToBe":
        return CheckOutcome(
            success=bool(_dtype_matches(column.dtype, check.kwargs["type_"])),
            unexpected=None,
            observed=str(column.dtype),
        )
    names = check.kwargs.get("type_list")
    if names is None:
        return CheckOutcome(success=True, unexpected=None, observed=column.dtype.type.__name__)
    if column.dtype == object:
        allowed = tuple(_type_candidates(names, with_dtypes=False))
        values = column.to_numpy()
        if str in allowed and lib.is_string_array(values, skipna=True):
            return CheckOutcome(success=True, unexpected=np.empty(0, dtype=np.int64))
        present = ~pd.isna(values)
        wrong = np.fromiter((not isinstance(v, allowed) for v in values), bool, len(values))
        rows = np.flatnonzero(present & wrong)
        return CheckOutcome(success=not len(rows), unexpected=rows)
    matches = column.dtype in _type_candidates(names, with_dtypes=True)
    return CheckOutcome(success=bool(matches), unexpected=None, observed=column.dtype.type.__name__)
