"""Split a pandas column into whylogs' ``PreprocessedColumn`` without a Python call per value.

Stock whylogs (``PreprocessedColumn._pandas_split``) finds infinities in float columns with
``Series.apply(np.isinf)`` and classifies every value of a non-numeric column with six
``Series.apply`` calls, about 1M values/s. For the dtypes below the answer of those calls
follows from the dtype alone, so it is computed with NumPy instead and the result holds the
same arrays, counts and empty placeholders whylogs would have produced:

* NumPy float columns (float16/32/64): NaN counted as null and nan, inf counted, floats kept;
* NumPy bool columns: counted as booleans (and trues), nothing else;
* timestamp columns (``datetime64``, tz-aware or not): counted as objects, NaT as null;
* object columns whose non-null values are all ``str``: counted as strings.

Every other dtype (integers, pandas nullable dtypes, ``string``, categorical, mixed objects)
goes through stock whylogs unchanged; those paths already avoid per-value calls on
non-null values or are rare, and stock handling is exact by construction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.core.dtypes.common as pdc

from monitoring.whylogs_compat import NumpyView, PreprocessedColumn


def preprocess(series: pd.Series) -> PreprocessedColumn:
    """Return the ``PreprocessedColumn`` stock whylogs would build for ``series``, fast."""
    dtype = series.dtype
    if series.empty:
        return PreprocessedColumn.apply(series)
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return _floats(series)
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return _bools(series)
    if pdc.is_datetime64_any_dtype(dtype):
        return _objects(series)
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        strings = _strings(series)
        if strings is not None:
            return strings
    return PreprocessedColumn.apply(series)


def _new(series: pd.Series) -> PreprocessedColumn:
    result = PreprocessedColumn()
    result.original = series
    result.len = len(series)
    return result


def _floats(series: pd.Series) -> PreprocessedColumn:
    result = _new(series)
    values = series.to_numpy()
    null = np.isnan(values)
    null_count = int(np.count_nonzero(null))
    floats = values[~null] if null_count else values
    floats = floats.astype(np.float64, copy=False)
    result.null_count = null_count
    result.nan_count = null_count  # in a NumPy float column every null is a float NaN
    result.inf_count = int(np.count_nonzero(np.isinf(floats)))
    result.numpy.floats = floats
    return result


def _bools(series: pd.Series) -> PreprocessedColumn:
    result = _new(series)
    values = series.to_numpy()
    _fill_leftovers(result, series)
    result.bool_count = len(values)
    result.bool_count_where_true = int(np.count_nonzero(values))
    return result


def _objects(series: pd.Series) -> PreprocessedColumn:
    """Values whylogs counts as neither number, bool, string nor tensor (timestamps)."""
    result = _new(series)
    null = series.isna().to_numpy()
    non_null = series[~null] if null.any() else series
    result.null_count = int(np.count_nonzero(null))
    if non_null.empty:
        return result
    _fill_leftovers(result, non_null)
    result.pandas.objs = non_null
    return result


def _strings(series: pd.Series) -> PreprocessedColumn | None:
    """Object columns whose non-null values are all ``str``; ``None`` for any other mix."""
    null = series.isna().to_numpy()
    non_null = series[~null] if null.any() else series
    if pd.api.types.infer_dtype(non_null, skipna=False) not in ("string", "empty"):
        return None
    result = _new(series)
    result.null_count = int(np.count_nonzero(null))
    result.nan_count = _nan_count_among_nulls(series[null])
    if non_null.empty:
        return result
    _fill_leftovers(result, non_null)
    result.pandas.strings = non_null
    return result


def _fill_leftovers(result: PreprocessedColumn, non_null: pd.Series) -> None:
    """Set the empty float/int/string/tensor/object slots stock whylogs leaves behind."""
    empty = non_null.iloc[:0]
    result.numpy = NumpyView(floats=empty.to_numpy(), ints=pd.Series(dtype=int).to_numpy())
    result.pandas.strings = empty
    result.pandas.tensors = pd.Series([], dtype="object")
    result.pandas.objs = empty


def _nan_count_among_nulls(nulls: pd.Series) -> int:
    """Nulls that are numbers (float NaN) rather than None/NA, as stock whylogs counts them."""
    if nulls.empty:
        return 0
    numeric = nulls[nulls.map(pdc.is_number).astype(bool)]
    return int(numeric.astype(float).isna().sum()) if not numeric.empty else 0
