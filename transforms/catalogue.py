"""The feature catalogue: every feature view and column the platform computes.

Feast definitions in ``feature_repo/`` are generated from it, the transform job computes
it, and ``axiom features list`` prints it. Feature names are unique across the whole
catalogue, so retrieval with ``full_feature_names=False`` is unambiguous.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from transforms.specs import FeatureSpec, ViewSpec


@dataclass(frozen=True)
class Catalogue:
    """Feature views by name, in a stable order."""

    views: dict[str, ViewSpec]

    @classmethod
    def of(cls, views: Iterable[ViewSpec]) -> Catalogue:
        """Build a catalogue, rejecting duplicate view names and duplicate feature names."""
        by_name: dict[str, ViewSpec] = {}
        owner: dict[str, str] = {}
        for view in views:
            if view.name in by_name:
                raise ValueError(f"duplicate view name {view.name!r}")
            by_name[view.name] = view
            transforms = {f.transform for f in view.features}
            if len(transforms) != 1:
                raise ValueError(f"view {view.name!r} mixes families {sorted(transforms)}")
            for feature in view.features:
                if feature.name in owner:
                    raise ValueError(
                        f"feature {feature.name!r} is in both {owner[feature.name]!r} "
                        f"and {view.name!r}"
                    )
                owner[feature.name] = view.name
        return cls(by_name)

    @property
    def features(self) -> tuple[FeatureSpec, ...]:
        return tuple(f for view in self.views.values() for f in view.features)

    def view(self, name: str) -> ViewSpec:
        try:
            return self.views[name]
        except KeyError:
            known = ", ".join(self.views)
            raise KeyError(f"unknown feature view {name!r}; known views: {known}") from None

    def select(self, names: Iterable[str] | None = None) -> list[ViewSpec]:
        """The named views (all when ``names`` is None), failing on an unknown name."""
        return list(self.views.values()) if names is None else [self.view(n) for n in names]

    def feature(self, name: str) -> FeatureSpec:
        for view in self.views.values():
            for feature in view.features:
                if feature.name == name:
                    return feature
        raise KeyError(f"unknown feature {name!r}")

    def family_of(self, view: str) -> str:
        """The family (its ``transform`` name) that computes ``view``."""
        return self.view(view).features[0].transform

    def to_records(self) -> list[dict[str, Any]]:
        """One JSON-serialisable dict per feature, views in catalogue order."""
        return [
            {**feature.to_record(), "view_version": view.version}
            for view in self.views.values()
            for feature in view.features
        ]


@cache
def catalogue() -> Catalogue:
    """The platform's catalogue (built once per process): every family's views."""
    from transforms.families import FAMILIES

    return Catalogue.of(view for family in FAMILIES for view in family.views())
