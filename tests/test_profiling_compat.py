"""whylogs 1.6.4 on NumPy 2: the scoped fix in monitoring.whylogs_compat, and why it is needed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitoring import whylogs_compat
from monitoring.whylogs_compat import ColumnProfile, DatasetSchema, why

NUMPY_2 = int(np.__version__.split(".")[0]) >= 2
PROJECT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not NUMPY_2, reason="the failure only exists on NumPy 2")
def test_stock_whylogs_fails_on_a_timestamp_column_without_the_fix() -> None:
    code = (
        "import pandas as pd; import whylogs as why; "
        "why.log(pd.DataFrame({'t': pd.date_range('2024-01-01', periods=3, tz='UTC')}))"
    )
    env = {**os.environ, "WHYLOGS_NO_ANALYTICS": "True"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.returncode != 0
    assert "np.unicode_" in run.stderr


def test_the_fix_leaves_numpy_itself_unchanged() -> None:
    assert hasattr(np, "unicode_") is not NUMPY_2
    assert "whylogs.core.datatypes" in [
        name
        for name, m in sys.modules.items()
        if getattr(m, "np", None) is whylogs_compat.NUMPY_FOR_WHYLOGS
    ]


def test_a_numpy_unicode_array_is_profiled_as_strings() -> None:
    values = np.array(["AAPL", "MSFT", "AAPL", "IBM", "AAPL"])
    assert values.dtype.kind == "U"
    schema = DatasetSchema(types={"symbol": values.dtype})
    column = ColumnProfile(name="symbol", schema=schema.get("symbol"), cache_size=1)

    column.track_column(values)
    summary = column.view().to_summary_dict()

    assert summary["counts/n"] == 5
    assert summary["counts/null"] == 0
    assert summary["types/string"] == 5
    assert round(summary["cardinality/est"]) == 3
    top = summary["frequent_items/frequent_strings"][0]
    assert (top.value, top.est) == ("AAPL", 3)


def test_stock_why_log_handles_timestamp_and_string_dtype_columns() -> None:
    frame = pd.DataFrame(
        {
            "event_timestamp": pd.Series(pd.date_range("2024-01-01", periods=4, tz="UTC")).where(
                lambda s: s.index != 2
            ),
            "naive": pd.date_range("2024-01-01", periods=4),
            "source": pd.array(["a", None, "b", "a"], dtype="string"),
        }
    )
    summary = why.log(frame).view().to_pandas()

    assert summary.loc["event_timestamp", "counts/n"] == 4
    assert summary.loc["event_timestamp", "counts/null"] == 1
    assert summary.loc["event_timestamp", "types/object"] == 3
    assert summary.loc["naive", "types/object"] == 4
    assert summary.loc["source", "counts/null"] == 1
    assert summary.loc["source", "types/string"] == 3


def test_every_numpy_name_whylogs_uses_exists_or_is_restored() -> None:
    source = "\n".join(
        p.read_text(errors="ignore") for p in Path(why.__file__).parent.rglob("*.py")
    )
    used = set(re.findall(r"\bnp\.([A-Za-z_]\w*)", source))
    missing = {name for name in used if not hasattr(whylogs_compat.NUMPY_FOR_WHYLOGS, name)}
    assert missing == set()


def test_only_the_compat_module_imports_whylogs() -> None:
    importer = re.compile(r"^\s*(import whylogs|from whylogs[\s.])", re.MULTILINE)
    offenders = [
        str(path.relative_to(PROJECT))
        for folder in (
            "axiom_features",
            "transforms",
            "monitoring",
            "feature_repo",
            "bench",
            "tests",
        )
        for path in (PROJECT / folder).rglob("*.py")
        if path.name != "whylogs_compat.py" and importer.search(path.read_text(errors="ignore"))
    ]
    assert offenders == []
