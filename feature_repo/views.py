"""Feature views, one per catalogue view, generated from the transforms catalogue.

Each view reads its offline table: ``data/offline/<view>/`` (one Parquet file per symbol,
written by ``axiom transform``) or, with ``AXIOM_OFFLINE=postgres``, the PostgreSQL table
``<view>`` (see :mod:`feature_repo.sources`). The views the bar stream keeps up to date
(every bar-based family) have a ``PushSource`` in front of that table, ``<view>_push``.
Views are placed in this module's namespace so that ``feast apply`` finds them; their names
are the catalogue's view names.
"""

from feast import FeatureView, Field
from feast.types import Float64, Int64

from axiom_features.incremental.state import BAR_FAMILIES
from feature_repo.entities import symbol
from feature_repo.sources import offline_source, push_source
from transforms.catalogue import ViewSpec, catalogue

FEAST_TYPES = {"float64": Float64, "int64": Int64}


def _feature_view(spec: ViewSpec, family: str) -> FeatureView:
    source = offline_source(spec.name, description=f"Offline table of {spec.name}")
    if family in BAR_FAMILIES:
        source = push_source(spec.name, source)
    return FeatureView(
        name=spec.name,
        entities=[symbol],
        ttl=spec.ttl,
        schema=[Field(name=f.name, dtype=FEAST_TYPES[f.dtype]) for f in spec.features],
        source=source,
        online=True,
        description=spec.description,
        tags={"version": spec.version, "owner": "axiom-features", "family": family},
    )


FEATURE_VIEWS: dict[str, FeatureView] = {
    name: _feature_view(spec, catalogue().family_of(name))
    for name, spec in catalogue().views.items()
}
globals().update({f"{name}_view": view for name, view in FEATURE_VIEWS.items()})
