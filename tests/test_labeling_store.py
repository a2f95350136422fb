"""The label store keeps every annotation event, in order, on both backends; a later label
by the same annotator supersedes an earlier one only when labels are read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from axiom_features.labeling.events import AnnotationEvent, current_labels, item_id, parse_item
from axiom_features.labeling.store import (
    JsonlLabelStore,
    PostgresLabelStore,
    open_label_store,
)
from tests.services import scratch_database

T = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)
ITEM = item_id("AAA", T)


@pytest.fixture(params=["jsonl", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:
    if request.param == "jsonl":
        yield JsonlLabelStore(tmp_path / "events.jsonl")
        return
    with scratch_database(request.getfixturevalue("postgres_url")) as url:
        yield PostgresLabelStore(url)


def _event(who: str, value: int | None, minutes: int, action: str = "label") -> AnnotationEvent:
    return AnnotationEvent(item=ITEM, annotator=who, schema="regime@1", action=action,
                           value=value, created_at=T + timedelta(minutes=minutes))  # fmt: skip


def test_events_are_appended_and_read_back_in_order_with_every_field(store) -> None:
    first = [_event("ana", 1, 1), _event("bo", -1, 2)]
    assert store.append(first) == 2
    store.append([_event("ana", 0, 3), _event("bo", None, 4, "skip")])
    events = store.events()
    assert list(events["annotator"]) == ["ana", "bo", "ana", "bo"]
    assert list(events["action"]) == ["label", "label", "label", "skip"]
    assert events["value"].tolist()[:3] == [1, -1, 0] and events["value"].isna().tolist()[3]
    assert set(events["schema"]) == {"regime@1"}
    assert events["created_at"].iloc[0] == T + timedelta(minutes=1)
    assert events["event_id"].is_unique


def test_current_labels_take_each_annotators_latest_label_and_keep_the_history(store) -> None:
    store.append([_event("ana", 1, 1), _event("ana", -1, 5), _event("bo", 0, 2)])
    labels = current_labels(store.events()).set_index("annotator")["value"].to_dict()
    assert labels == {"ana": -1, "bo": 0}
    assert len(store.events()) == 3  # nothing overwritten


def test_an_event_without_annotator_or_value_is_refused_with_the_item():
    with pytest.raises(ValueError, match=r"item 'AAA@.*': annotator"):
        AnnotationEvent(item=ITEM, annotator=" ", schema="regime@1", value=1)
    with pytest.raises(ValueError, match=r"item 'AAA@.*': value"):
        AnnotationEvent(item=ITEM, annotator="ana", schema="regime@1")


def test_item_ids_round_trip_to_entity_and_utc_time():
    assert parse_item(item_id("BRK.B", T)) == ("BRK.B", T)
    with pytest.raises(ValueError, match="expected <entity>@<ISO time>"):
        parse_item("no-time")


def test_a_corrupt_line_is_reported_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    JsonlLabelStore(path).append([_event("ana", 1, 1)])
    with path.open("a") as handle:
        handle.write("{broken\n")
    with pytest.raises(ValueError, match=r"events.jsonl: line 2: not JSON"):
        JsonlLabelStore(path).events()


def test_profiles_choose_the_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(open_label_store(tmp_path), JsonlLabelStore)
    monkeypatch.delenv("AXIOM_POSTGRES_URL", raising=False)
    with pytest.raises(ValueError, match="AXIOM_POSTGRES_URL"):
        open_label_store(tmp_path, "production")
    monkeypatch.setenv("AXIOM_POSTGRES_URL", "postgresql://x@127.0.0.1:1/y")
    assert isinstance(open_label_store(tmp_path, "production"), PostgresLabelStore)
