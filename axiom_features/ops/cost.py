"""``axiom cost``: what job runs cost, summarised by job and by feature view.

Per job: runs, CPU and wall seconds, peak memory, rows and bytes read and written, storage
growth (from the run records). Per view: rows written by transform and materialize runs, the
CPU of those runs shared out by rows, and the view's offline table and profile sizes now.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pandas as pd

from axiom_features.ops.usage import folder_bytes
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.runs import RunLog

JOB_COLUMNS = (
    "cpu_seconds", "wall_seconds", "rows_read", "rows_written", "bytes_read", "bytes_written",
    "storage_growth_bytes",
)  # fmt: skip
VIEW_COMMANDS = ("transform", "materialize", "feast materialize")


def cost_by_job(root: Path) -> pd.DataFrame:
    """One row per command: runs and summed costs; peak memory is the largest run's."""
    records = RunLog(RepoPaths(root).runs).list()
    rows = []
    for command in dict.fromkeys(r.command for r in records):
        runs = [r for r in records if r.command == command]
        row: dict[str, object] = {"job": command, "runs": len(runs)}
        row["failed"] = sum(r.status == "failed" for r in runs)
        for name in JOB_COLUMNS:
            row[name] = sum(getattr(r, name) or 0 for r in runs)
        row["peak_rss_mb"] = max((r.peak_rss_mb or 0.0) for r in runs)
        rows.append(row)
    return pd.DataFrame(rows, columns=["job", "runs", "failed", *JOB_COLUMNS, "peak_rss_mb"])


def cost_by_view(root: Path) -> pd.DataFrame:
    """One row per feature view seen in transform or materialize runs."""
    paths = RepoPaths(root)
    rows_written: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    cpu: dict[str, float] = defaultdict(float)
    for record in RunLog(paths.runs).list():
        if record.command not in VIEW_COMMANDS or not record.row_counts:
            continue
        total = sum(record.row_counts.values()) or 1
        job = "transform" if record.command == "transform" else "materialize"
        for view, n in record.row_counts.items():
            rows_written[view][job] += n
            cpu[view] += (record.cpu_seconds or 0.0) * n / total
    rows = [
        {
            "feature_view": view,
            "offline_rows_written": counts["transform"],
            "online_rows_written": counts["materialize"],
            "cpu_seconds": round(cpu[view], 3),
            "offline_bytes": folder_bytes(paths.offline_view(view)),
            "profile_bytes": sum(
                p.stat().st_size for p in paths.profiles.glob(f"*/{view}.*") if p.is_file()
            ),
        }
        for view, counts in sorted(rows_written.items())
    ]
    return pd.DataFrame(
        rows,
        columns=["feature_view", "offline_rows_written", "online_rows_written", "cpu_seconds",
                 "offline_bytes", "profile_bytes"],
    )  # fmt: skip
