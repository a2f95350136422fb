"""Labels under the production profile: the label table is loaded into PostgreSQL and the
LabelView reads it there; the point-in-time rule is the same as on Parquet."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from axiom_features.feature_store import open_store
from axiom_features.labeling.barriers import Barriers
from axiom_features.labeling.events import item_id
from axiom_features.labeling.feast_labels import label_refs, register_label_view
from axiom_features.labeling.workflow import generate_labels
from axiom_features.pipeline import jobs
from axiom_features.synthetic.bars import generate_bars
from tests.conftest import copy_feature_repo
from tests.services import scratch_database

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
NOW = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)


@pytest.fixture
def production_env(postgres_url: str, redis_url: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("AXIOM_POSTGRES_URL", "AXIOM_REDIS_URL")}
    cwd = os.getcwd()
    with scratch_database(postgres_url) as url:
        os.environ["AXIOM_POSTGRES_URL"], os.environ["AXIOM_REDIS_URL"] = url, redis_url
        yield
    os.chdir(cwd)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def test_labels_in_postgresql_are_invisible_before_their_end(
    production_env: None, tmp_path: Path
) -> None:
    root = copy_feature_repo(tmp_path / "repo", project=f"p{uuid.uuid4().hex[:8]}")
    jobs.ingest_frame(root, generate_bars(["PGA"], 80, seed=4, end=NOW), source="synthetic",
                      origin="<test>")  # fmt: skip
    labels, _, _ = generate_labels(root, "tb", "triple_barrier", Barriers(1, 1, 10),
                                   profile="production")  # fmt: skip
    store = open_store(root, "production")
    view = register_label_view(store, "tb")
    assert type(view.batch_source).__name__ == "PostgreSQLSource"
    label = labels.iloc[20]
    item = item_id(label["symbol"], label["t0"])
    times = [label["t1"] - timedelta(microseconds=1), label["t1"]]
    rows = pd.DataFrame({"label_item": item, "event_timestamp": times})
    frame = store.get_historical_features(rows, label_refs("tb")).to_df()
    frame = frame.sort_values("event_timestamp").reset_index(drop=True)
    assert frame["label"].isna().tolist() == [True, False]
    assert frame.loc[1, "label"] == label["label"]
