"""The transforms benchmark on a busy machine measures and records, it does not crash:
both workers load before timing starts (a bounded barrier), and how many started is kept."""

from __future__ import annotations

import pytest

from bench import transforms


@pytest.mark.parametrize("symbols", [3])
def test_two_process_measure_records_how_many_workers_started(symbols: int) -> None:
    path = transforms.cached_data(symbols=symbols, days=60)
    result = transforms.measure_two_processes(path, repeats=1)
    assert result["workers_started"] in (1, 2)
    assert len(result["platform"]) == 1 and result["platform"][0] > 0
