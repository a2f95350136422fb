"""The dataset and job graph, from the run records: which jobs read and wrote which datasets."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from axiom_features.paths import RepoPaths
from axiom_features.pipeline.runs import RunLog


@dataclass
class LineageGraph:
    """Jobs (by command) with the datasets they read and wrote, and how often they ran."""

    reads: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    writes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    runs: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def text(self) -> str:
        lines = []
        for job in sorted(self.runs):
            inputs = ", ".join(sorted(self.reads[job])) or "-"
            outputs = ", ".join(sorted(self.writes[job])) or "-"
            lines.append(f"{inputs}  ──▶ [{job} ×{self.runs[job]}] ──▶  {outputs}")
        return "\n".join(lines)

    def dot(self) -> str:
        out = ["digraph lineage {", "  rankdir=LR;", "  node [fontname=Helvetica];"]
        datasets = set().union(*self.reads.values(), *self.writes.values()) if self.runs else set()
        out += [f'  "{d}" [shape=box];' for d in sorted(datasets)]
        out += [
            f'  "job:{j}" [shape=ellipse, label="{j} ×{self.runs[j]}"];' for j in sorted(self.runs)
        ]
        for job in sorted(self.runs):
            out += [f'  "{d}" -> "job:{job}";' for d in sorted(self.reads[job])]
            out += [f'  "job:{job}" -> "{d}";' for d in sorted(self.writes[job])]
        return "\n".join(out + ["}"])


def _dataset(name: str) -> str:
    kind, sep, rest = name.partition(":")
    if sep and kind in {"lake", "offline", "online", "quarantine", "registry", "postgres"}:
        return f"{kind}.{rest}"
    return f"file:{Path(name).name}"


def lineage_graph(root: Path) -> LineageGraph:
    """The graph of every recorded run of ``root``."""
    graph = LineageGraph()
    for record in RunLog(RepoPaths(root).runs).list():
        graph.runs[record.command] += 1
        graph.reads[record.command].update(_dataset(n) for n in record.inputs)
        graph.writes[record.command].update(_dataset(n) for n in record.outputs)
    return graph
