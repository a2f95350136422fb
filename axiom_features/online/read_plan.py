"""How a request is read: its views grouped by entity key into one Redis hash read each,
resolved once with Feast's own resolution and cached per registry version."""


from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from feast import FeatureService, RepoConfig, utils
from feast.infra.online_stores.redis import _versioned_fv_name
from feast.infra.registry.base_registry import BaseRegistry
from feast.value_type import ValueType

from axiom_features.online.layout import (
    EntityKeyEncoder,
    feature_field,
    timestamp_field,
)


class NotCovered(Exception):
    """A request the fast path does not serve; Feast's own path serves it."""


@dataclass
class ViewPlan:
    """One feature view of a request."""

    fv_name: str
    names: list[str]
    """Output names of the requested features, in stock Feast's order."""
    value_types: list[ValueType]
    fields: list[bytes]
    """Hash fields of the requested features."""
    all_double: bool


HGETALL_MIN_FIELDS = 16
"""From this many requested fields per entity on, a whole hash is fetched (``HGETALL``) and
the fields picked out here: Redis answers ``HGETALL`` of a 200-field hash about ten times
faster than ``HMGET`` of the same 200 fields, which parses and looks up every argument."""


@dataclass
class KeyGroup:
    """Views keyed by the same join keys: their fields share one hash per entity."""

    join_keys: tuple[str, ...]
    encoder: EntityKeyEncoder
    views: list[ViewPlan]
    fields: list[bytes] = field(default_factory=list)
    packed_fields: bytes = b""
    picker: tuple[list[bytes], Callable[[list], tuple]] | None = None
    """The last ``HGETALL`` field order seen and how to pick this group's fields from it
    (hashes written alike iterate alike, so it is usually reused)."""

    def pick(self, reply: list[bytes] | dict[bytes, bytes]) -> Sequence[bytes | None]:
        """This group's field values out of one ``HGETALL`` answer (None where absent)."""
        if isinstance(reply, dict):
            return list(map(reply.get, self.fields))
        names, values = reply[0::2], reply[1::2]
        values.append(None)  # what a field absent from the hash reads as (index -1)
        cached = self.picker
        if cached is None or cached[0] != names:
            position = {name: i for i, name in enumerate(names)}
            cached = (names, itemgetter(*[position.get(f, -1) for f in self.fields]))
            self.picker = cached
        return cached[1](values)


@dataclass
class ReadPlan:
    join_keys: set[str]
    join_key_types: dict[str, ValueType]
    groups: list[KeyGroup]
    entity_names: set[str]
    """Entity names that are not join keys (a deprecated spelling Feast still accepts)."""


_plans: dict[tuple, ReadPlan] = {}


def _features_key(features: list[str] | FeatureService) -> tuple:
    if isinstance(features, FeatureService):
        return ("__service__", features.name)
    return tuple(features)


def bulk_string(data: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(data), data)


def plan_for(
    registry: BaseRegistry,
    project: str,
    config: RepoConfig,
    features: list[str] | FeatureService,
    full_feature_names: bool,
) -> ReadPlan:
    """The cached plan of a request (rebuilt when the registry cache refreshes)."""
    if isinstance(features, FeatureService) and getattr(features, "precompute_online", False):
        raise NotCovered("pre-computed feature service")
    stamp = getattr(registry, "cached_registry_proto_created", None)
    key = (_features_key(features), project, full_feature_names, stamp)
    plan = _plans.get(key) if stamp is not None else None
    if plan is None:
        plan = _build_plan(registry, project, config, features, full_feature_names)
        if stamp is not None:
            if len(_plans) > 256:
                _plans.clear()
            _plans[key] = plan
    return plan


def _build_plan(registry, project, config, features, full_feature_names) -> ReadPlan:  # noqa: ANN001
    (
        _refs,
        on_demand_views,
        entity_name_to_join_key_map,
        entity_type_map,
        join_keys_set,
        grouped_refs,
        _result_names,
        needed_request_data,
        entityless,
    ) = utils._get_cached_request_context(registry, project, features, full_feature_names)
    if on_demand_views or needed_request_data or entityless:
        raise NotCovered("on-demand views, request data or entityless views")
    groups: dict[tuple[str, ...], KeyGroup] = {}
    for table, requested in grouped_refs:
        if table.projection.join_key_map or getattr(table.projection, "version_tag", None):
            raise NotCovered("join key mapping or versioned projection")
        join_keys = tuple(entity_name_to_join_key_map[e] for e in table.entities)
        fv_name = _versioned_fv_name(table, config)
        prefix = table.projection.name_to_use()
        types = {f.name: f.dtype.to_value_type() for f in table.features}
        requested = list(requested)
        view = ViewPlan(
            fv_name=fv_name,
            names=[f"{prefix}__{f}" if full_feature_names else f for f in requested],
            value_types=[types[f] for f in requested],
            fields=[feature_field(fv_name, f) for f in requested] + [timestamp_field(fv_name)],
            all_double=all(types[f] == ValueType.DOUBLE for f in requested),
        )
        group = groups.get(join_keys)
        if group is None:
            encoder = EntityKeyEncoder(
                list(join_keys), [entity_type_map[k] for k in join_keys], project
            )
            group = groups[join_keys] = KeyGroup(join_keys, encoder, [])
        group.views.append(view)
    for group in groups.values():
        group.fields = [f for view in group.views for f in view.fields]
        group.packed_fields = b"".join(bulk_string(f) for f in group.fields)
    return ReadPlan(
        join_keys=set(join_keys_set),
        join_key_types=dict(entity_type_map),
        groups=list(groups.values()),
        entity_names=set(entity_name_to_join_key_map) - set(join_keys_set),
    )


