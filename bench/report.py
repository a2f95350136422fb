"""The README's benchmark table, produced from ``bench/results/*.json``.

``python -m bench.report`` prints the table; ``--readme README.md`` rewrites the part of the
README between the ``<!-- bench:start -->`` and ``<!-- bench:end -->`` markers.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.common import RESULTS_DIR

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return "" if value is None else str(value)


def table(results_dir: Path = RESULTS_DIR) -> str:
    """One markdown row per case of every result file."""
    lines = [
        "| benchmark | case | metric | baseline | baseline value | platform | ratio | peak RSS MB"
        " | goal | measured |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for path in sorted(results_dir.glob("*.json")):
        result = json.loads(path.read_text())
        for case in result["cases"]:
            baseline = case.get("baseline", "")
            if case.get("capped"):
                baseline += " (capped)"
            lines.append(
                "| "
                + " | ".join(
                    [
                        result["benchmark"],
                        case["case"],
                        case["metric"],
                        baseline,
                        _number(case.get("baseline_value")),
                        _number(case.get("value")),
                        _number(case.get("ratio")),
                        _number(case.get("peak_rss_mb")),
                        case.get("goal", ""),
                        case.get("when", result["when"])[:10],
                    ]
                )
                + " |"
            )
    return "\n".join(lines)


def update_readme(readme: Path, results_dir: Path = RESULTS_DIR) -> None:
    text = readme.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{table(results_dir)}\n{END}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--readme", type=Path, help="rewrite the table inside this README")
    args = parser.parse_args()
    if args.readme:
        update_readme(args.readme)
    else:
        print(table())


if __name__ == "__main__":
    main()
