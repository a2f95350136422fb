"""Operations under the production profile (Redis online, PostgreSQL offline and registry):
health reads freshness from Redis itself, and every service failure says one line
``error: <what> <where>: <reason>`` with passwords masked and the traceback kept in the run
record, after bounded retries of transient connection errors."""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from axiom_features.cli.app import cli
from axiom_features.ops.health import check_health
from axiom_features.paths import RepoPaths
from axiom_features.pipeline import jobs
from axiom_features.pipeline.runs import RunLog
from axiom_features.synthetic.bars import generate_bars
from tests.conftest import copy_feature_repo
from tests.services import free_port, scratch_database

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

END = datetime(2026, 6, 12, 20, 0, tzinfo=UTC)  # Friday close
SYMBOLS = ["PRA", "PRB"]


@pytest.fixture(scope="module")
def production_repo(
    tmp_path_factory: pytest.TempPathFactory, postgres_url: str, redis_url: str
) -> Iterator[Path]:
    """Two symbols transformed, applied and materialized under the production profile."""
    cwd = os.getcwd()
    saved = {k: os.environ.get(k) for k in ("AXIOM_POSTGRES_URL", "AXIOM_REDIS_URL")}
    with scratch_database(postgres_url) as database:
        os.environ["AXIOM_POSTGRES_URL"], os.environ["AXIOM_REDIS_URL"] = database, redis_url
        root = copy_feature_repo(
            tmp_path_factory.mktemp("prodops"), project=f"o{uuid.uuid4().hex[:8]}"
        )
        bars = generate_bars(SYMBOLS, 80, seed=5, end=END)
        jobs.ingest_frame(root, bars, source="synthetic", origin="<test>")
        jobs.transform(root, workers=1, profile="production")
        jobs.apply(root, "production")
        jobs.materialize(root, END - timedelta(days=200), END, profile="production")
        try:
            yield root
        finally:
            os.chdir(cwd)
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _cli(root: Path, *args: str):  # noqa: ANN202 - click.testing.Result
    return CliRunner().invoke(cli, ["--repo", str(root), "--profile", "production", *args])


def _one_line(result) -> str:  # noqa: ANN001 - click.testing.Result
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_health_reads_freshness_from_redis_under_the_production_profile(
    production_repo: Path,
) -> None:
    report = check_health(production_repo, "production", now=END + timedelta(hours=1))
    freshness = [c for c in report.checks if c.kind == "freshness"]
    assert len(freshness) == 21
    assert [c for c in freshness if c.status != "ok"] == []
    assert not any("no rows" in c.detail for c in freshness)


def test_redis_down_says_one_line_after_retries_and_keeps_the_traceback(
    production_repo: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    monkeypatch.setenv("AXIOM_REDIS_URL", url)
    with caplog.at_level(logging.WARNING, logger="axiom_features.resilience.retry"):
        result = _cli(production_repo, "materialize", "--views", "ta_cycle",
                      "--start", "2026-01-01", "--end", END.isoformat())  # fmt: skip
    assert result.exit_code == 1
    line = _one_line(result)
    assert line.startswith(f"error: Redis unreachable at {url}: ")
    assert "Connection refused" in line
    assert len([r for r in caplog.records if "retry" in r.getMessage()]) == 2
    record = RunLog(RepoPaths(production_repo).runs).list("materialize")[-1]
    assert record.status == "failed" and record.run_id in line
    assert "Traceback" in (record.traceback or "") and "ConnectionError" in record.traceback


def test_a_malformed_redis_url_says_one_line_without_the_password(
    production_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AXIOM_REDIS_URL", "redis://trader:s3cr3t-pw@127.0.0.1:63x9/0")
    result = _cli(production_repo, "health")
    assert result.exit_code == 1
    line = _one_line(result)
    assert line.startswith("error: malformed AXIOM_REDIS_URL redis://trader:***@127.0.0.1:63x9/0")
    assert "s3cr3t" not in result.output + result.stderr


def test_postgresql_down_says_one_line_with_the_password_masked(
    production_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"postgresql://postgres:hunter2@127.0.0.1:{free_port()}/features"
    monkeypatch.setenv("AXIOM_POSTGRES_URL", url)
    result = _cli(production_repo, "materialize", "--views", "ta_cycle")
    assert result.exit_code == 1
    line = _one_line(result)
    masked = url.replace("hunter2", "***")
    assert line.startswith(f"error: PostgreSQL unreachable at {masked}: "), line
    assert "hunter2" not in result.output + result.stderr


def test_a_postgres_scheme_url_is_accepted(
    production_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = os.environ["AXIOM_POSTGRES_URL"]
    monkeypatch.setenv("AXIOM_POSTGRES_URL", "postgres://" + url.split("://", 1)[1])
    at = (END + timedelta(hours=1)).isoformat()
    result = _cli(production_repo, "health", "--json", "--at", at)
    assert not result.stderr.strip(), result.stderr
    report = json.loads(result.output)
    assert {c["status"] for c in report["checks"] if c["kind"] == "freshness"} == {"ok"}
