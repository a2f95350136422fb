"""The fast streamed import reaches exactly the verdicts of the general one.

A plain CSV file (printable ASCII, no quotes, no blank lines) is read by Arrow and converted
column by column, and its new symbols are written to the lake in one pass. The same text
with one quoted header name is not plain, so it takes the Python reader and the general
converters: both imports must hold the same rows for the same reasons, count the same, find
the same outliers and store the same lake rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from axiom_features.ingest import ImportResult, QualityOptions, import_bars
from axiom_features.ingest.plain_csv import plain_header
from axiom_features.lakes.bars import BarLake
from axiom_features.paths import RepoPaths
from axiom_features.quality import read_quarantine
from axiom_features.quality.store import read_findings, read_verdict
from tests.quality_helpers import NOW, clean_bars, write_vendor_csv

CHUNK = 250
OPTIONS = QualityOptions(now=NOW)
COUNTS = ("rows_in", "accepted", "quarantined", "new_rows", "already_present", "conflicts",
          "corrections", "warned", "findings", "already_held", "rule_counts")  # fmt: skip


def faulty_bars() -> pd.DataFrame:
    """Four symbols over 300 sessions with bad rows of every kind the gate knows."""
    bars = clean_bars(4, 300)
    bars.loc[5, "high"] = bars.loc[5, "low"] / 2  # high_is_max
    bars.loc[17, "close"] = np.nan  # written empty: not_null:close
    bars.loc[240, "volume"] = -5.0  # volume_non_negative
    bars.loc[330, "open"] = 0.0  # positive:open
    bars.loc[420, "close"] = bars.loc[420, "close"] * 5  # a reverting spike
    bars.loc[500, "high"] = 1e12  # plausible_values
    bars.loc[610:614, "volume"] = 0.0  # zero_volume_run
    bars.loc[700:704, ["open", "high", "low", "close"]] = bars.loc[699, "close"]  # stale
    bars.loc[800, "event_timestamp"] = pd.Timestamp("2027-01-05T21:00:00Z")  # future_bar
    bars.loc[880, "event_timestamp"] -= pd.Timedelta(hours=3)  # session_close
    bars.loc[1001, "open"] = bars.loc[1000, "close"] * 2.01  # split_continuity
    copies = bars.iloc[[2, 260]]  # later exact copies, in later chunks
    conflict = bars.iloc[[650]].assign(close=bars.loc[650, "close"] * 1.01)
    return pd.concat([bars, copies, conflict], ignore_index=True)


def write_pair(bars: pd.DataFrame, folder: Path, edit=None) -> tuple[Path, Path]:  # noqa: ANN001
    """The bars as a plain vendor CSV, and the same rows with a quoted header name."""
    plain = write_vendor_csv(bars, folder / "plain.csv")
    lines = plain.read_text().splitlines()
    if edit is not None:
        edit(lines)
    plain.write_text("\n".join(lines) + "\n")
    general = folder / "general.csv"
    general.write_text("\n".join(['"Date"' + lines[0][4:], *lines[1:]]) + "\n")
    assert plain_header(plain) is not None and plain_header(general) is None
    return plain, general


def imported(
    path: Path, root: Path, before: Path | None = None, options: QualityOptions = OPTIONS
) -> tuple[ImportResult, RepoPaths]:
    repo = RepoPaths(root)
    if before is not None:
        import_bars(before, repo, run_id="a", chunk_rows=CHUNK, quality=options)
    return import_bars(path, repo, run_id="r", chunk_rows=CHUNK, quality=options), repo


def assert_same_outcome(fast: tuple[ImportResult, RepoPaths], slow: tuple[ImportResult, RepoPaths]):
    (a, repo_a), (b, repo_b) = fast, slow
    assert {k: getattr(a, k) for k in COUNTS} == {k: getattr(b, k) for k in COUNTS}
    assert a.rows_in == a.accepted + a.quarantined
    clock = {"measured_at": None}
    assert a.metrics.to_dict() | clock == b.metrics.to_dict() | clock
    when = ["quarantined_at", "created_timestamp", "source_file"]
    held_a = read_quarantine(repo_a).drop(columns=when)
    held_b = read_quarantine(repo_b).drop(columns=when)
    pd.testing.assert_frame_equal(held_a, held_b)
    found_a = read_findings(repo_a, "r").drop(columns="source_file", errors="ignore")
    found_b = read_findings(repo_b, "r").drop(columns="source_file", errors="ignore")
    pd.testing.assert_frame_equal(found_a, found_b)
    verdict_a, verdict_b = read_verdict(repo_a, "r"), read_verdict(repo_b, "r")
    for verdict in (verdict_a, verdict_b):
        verdict.pop("checked_at")
        for shown in verdict["examples"].values():
            for example in shown:
                example.pop("file")
    assert verdict_a == verdict_b
    lake_a = BarLake(repo_a).read().to_pandas().drop(columns="created_timestamp")
    lake_b = BarLake(repo_b).read().to_pandas().drop(columns="created_timestamp")
    pd.testing.assert_frame_equal(lake_a, lake_b)
    assert BarLake(repo_a).symbols() == BarLake(repo_b).symbols()


def test_a_faulty_plain_file_gets_the_verdicts_of_the_general_reader(tmp_path):
    plain, general = write_pair(faulty_bars(), tmp_path)

    fast = imported(plain, tmp_path / "fast")
    slow = imported(general, tmp_path / "slow")

    assert_same_outcome(fast, slow)
    result = fast[0]
    assert result.rows_in == 1203 and result.quarantined >= 10
    expected = ["high_is_max", "not_null:close", "reverting_spike", "future_bar", "unique_key",
                "unique_key_conflict", "stale_price", "zero_volume_run"]  # fmt: skip
    assert all(result.rule_counts.get(rule) for rule in expected), result.rule_counts


def test_values_the_fast_converters_leave_to_the_general_ones(tmp_path):
    def edit(lines: list[str]) -> None:
        fields = lines[40].split(",")
        lines[40] = ",".join([fields[0], f" {fields[1]} ", *fields[2:]])  # blanks to strip
        lines[300] = lines[300].replace(lines[300].split(",")[2], "abc", 1)  # type:open
        lines[610] = lines[610].replace("T21:00:00Z", " 21:00:00", 1)  # other spelling
        lines[900] = lines[900].replace(lines[900].split(",")[5], "12.3456789012345678", 1)

    plain, general = write_pair(faulty_bars(), tmp_path, edit)

    assert_same_outcome(imported(plain, tmp_path / "fast"), imported(general, tmp_path / "slow"))


def test_a_row_with_another_field_count_falls_back_from_that_chunk_on(tmp_path):
    def edit(lines: list[str]) -> None:
        lines[1100] += ",surplus"  # in the fifth chunk: Arrow refuses the row

    plain, general = write_pair(faulty_bars(), tmp_path, edit)
    fast = imported(plain, tmp_path / "fast")

    assert_same_outcome(fast, imported(general, tmp_path / "slow"))
    assert fast[0].rule_counts.get("field_count") == 1


@pytest.mark.parametrize("on_conflict", ["quarantine", "replace"])
def test_symbols_the_lake_already_holds_get_the_same_outcome(tmp_path, on_conflict):
    bars = faulty_bars()
    earlier = bars.iloc[:450].copy()
    earlier.loc[100, "close"] *= 1.02  # the later file corrects this bar
    before = write_vendor_csv(earlier, tmp_path / "earlier.csv")
    plain, general = write_pair(bars, tmp_path)
    options = QualityOptions(now=NOW, on_conflict=on_conflict)

    fast = imported(plain, tmp_path / "fast", before, options)
    slow = imported(general, tmp_path / "slow", before, options)

    assert_same_outcome(fast, slow)
    assert fast[0].corrections == 1 and fast[0].already_present > 0


def test_lake_files_of_new_symbols_hold_the_tables_the_general_path_writes(tmp_path):
    plain, general = write_pair(faulty_bars(), tmp_path)
    fast, slow = RepoPaths(tmp_path / "fast"), RepoPaths(tmp_path / "slow")
    when = datetime(2026, 7, 1, tzinfo=UTC)
    for path, repo in ((plain, fast), (general, slow)):
        import_bars(path, repo, run_id="r", chunk_rows=CHUNK, quality=QualityOptions(now=when))
    # values, order, provenance and schema metadata; only the receive time differs
    for symbol in BarLake(fast).symbols():
        a = BarLake(fast).load(symbol)
        b = BarLake(slow).load(symbol)
        assert a.drop_columns("created_timestamp").equals(b.drop_columns("created_timestamp"))
        assert a.schema.metadata == b.schema.metadata
