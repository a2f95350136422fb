"""The one door to whylogs: makes whylogs 1.6.4 work on NumPy 2, then re-exports what we use.

whylogs 1.6.4 is unmaintained. Its ``whylogs.core.datatypes.String._do_match`` evaluates
``np.unicode_``, which NumPy 2 removed, so logging any column whose dtype is not integer,
float, bool, object or categorical (``datetime64``, ``datetime64[ns, UTC]``, pandas
``string``, a NumPy ``<U`` array) raises ``AttributeError``. No other NumPy-2 removal is
used by the installed whylogs (``tests/test_profiling_compat.py`` scans for them).

The fix is scoped: each loaded whylogs module that refers to NumPy as ``np`` gets a view
of NumPy that also answers the removed aliases. NumPy itself is left untouched, so code
outside whylogs that probes ``hasattr(numpy, "unicode_")`` still sees NumPy 2.

Every other module reaches whylogs through this one; nothing else imports it.
"""

from __future__ import annotations

import os
import sys
import types
from typing import Any

import numpy as np

os.environ.setdefault("WHYLOGS_NO_ANALYTICS", "True")  # no usage telemetry over the network

#: NumPy 1 names removed in NumPy 2, with the object each one used to mean.
NUMPY2_REMOVED_ALIASES: dict[str, Any] = {
    "unicode_": np.str_,
    "string_": np.bytes_,
    "float_": np.float64,
    "complex_": np.complex128,
    "cfloat": np.complex128,
    "singlecomplex": np.complex64,
    "longfloat": np.longdouble,
    "clongfloat": np.clongdouble,
    "longcomplex": np.clongdouble,
    "object0": np.object_,
    "bool8": np.bool_,
    "int0": np.intp,
    "uint0": np.uintp,
    "NaN": np.nan,
    "NAN": np.nan,
    "Inf": np.inf,
    "Infinity": np.inf,
    "infty": np.inf,
    "PINF": np.inf,
    "NINF": -np.inf,
}


class _NumpyWithRemovedAliases(types.ModuleType):
    """NumPy as whylogs expects it: every attribute of NumPy plus the removed aliases."""

    def __init__(self) -> None:
        super().__init__(np.__name__, np.__doc__)

    def __getattr__(self, name: str) -> Any:
        try:
            return getattr(np, name)
        except AttributeError:
            if name in NUMPY2_REMOVED_ALIASES:
                return NUMPY2_REMOVED_ALIASES[name]
            raise


NUMPY_FOR_WHYLOGS = _NumpyWithRemovedAliases()


def patch_whylogs_numpy() -> list[str]:
    """Point ``np`` in every loaded whylogs module at the alias-aware NumPy; return their names.

    Runs once below; call it again after importing more whylogs modules (e.g. ``whylogs.viz``).
    """
    patched = []
    for name, module in list(sys.modules.items()):
        if (name == "whylogs" or name.startswith("whylogs.")) and getattr(module, "np", None) is np:
            module.np = NUMPY_FOR_WHYLOGS  # type: ignore[attr-defined]
            patched.append(name)
    return patched


import whylogs as why  # noqa: E402
from whylogs.core import DatasetProfile, DatasetProfileView, DatasetSchema  # noqa: E402
from whylogs.core.column_profile import ColumnProfile  # noqa: E402
from whylogs.core.metrics import ColumnCountsMetric, DistributionMetric  # noqa: E402
from whylogs.core.metrics.metric_components import (  # noqa: E402
    FractionalComponent,
    IntegralComponent,
    KllComponent,
)
from whylogs.core.metrics.metrics import MetricConfig  # noqa: E402
from whylogs.core.preprocessing import NumpyView, PandasView, PreprocessedColumn  # noqa: E402
from whylogs.core.view import ColumnProfileView  # noqa: E402
from whylogs_sketching import kll_doubles_sketch  # noqa: E402

patch_whylogs_numpy()

#: The profile type the platform passes around (whylogs' immutable profile view).
ProfileView = DatasetProfileView

__all__ = [
    "NUMPY2_REMOVED_ALIASES",
    "ColumnCountsMetric",
    "ColumnProfile",
    "ColumnProfileView",
    "DatasetProfile",
    "DatasetProfileView",
    "DatasetSchema",
    "DistributionMetric",
    "FractionalComponent",
    "IntegralComponent",
    "KllComponent",
    "MetricConfig",
    "NumpyView",
    "PandasView",
    "PreprocessedColumn",
    "ProfileView",
    "patch_whylogs_numpy",
    "drift_algorithms",
    "kll_doubles_sketch",
    "why",
]


def _import_drift_algorithms() -> types.ModuleType:
    """whylogs' drift maths (``whylogs.viz.drift.column_drift_algorithms``), without IPython.

    ``whylogs/viz/__init__.py`` imports IPython for notebook display, which the drift
    algorithms never use. If ``whylogs.viz`` is not loaded yet, it is registered as a bare
    package (its folder, no ``__init__`` code) so the algorithms import on their own.
    """
    import importlib
    import importlib.util

    if "whylogs.viz" not in sys.modules:
        spec = importlib.util.find_spec("whylogs")
        assert spec is not None and spec.submodule_search_locations
        package = types.ModuleType("whylogs.viz")
        package.__path__ = [os.path.join(spec.submodule_search_locations[0], "viz")]
        package.__package__ = "whylogs.viz"
        sys.modules["whylogs.viz"] = package
    module = importlib.import_module("whylogs.viz.drift.column_drift_algorithms")
    patch_whylogs_numpy()
    return module


drift_algorithms = _import_drift_algorithms()
"""whylogs' column drift algorithms module (``KS``, ``Hellinger``, ``ChiSquare``, configs)."""
