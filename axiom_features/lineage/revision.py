"""The code revision a run used: the platform's git commit, read from ``.git`` (no process)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from axiom_features.paths import RepoPaths

CODE_ROOT = Path(__file__).resolve().parents[2]


@cache
def git_revision(root: Path = CODE_ROOT) -> str:
    """The commit ``HEAD`` points at, or ``"unknown"`` outside a git checkout."""
    git = root / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head[5:]
        loose = git / ref
        if loose.exists():
            return loose.read_text().strip()
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0]
    except OSError:
        pass
    return "unknown"


@cache
def git_remote(root: Path = CODE_ROOT) -> str:
    """The ``origin`` URL, or the checkout's path when there is none."""
    try:
        lines = (root / ".git" / "config").read_text().splitlines()
    except OSError:
        return root.as_uri()
    inside = False
    for line in lines:
        text = line.strip()
        if text.startswith("["):
            inside = text == '[remote "origin"]'
        elif inside and text.startswith("url"):
            return text.partition("=")[2].strip()
    return root.as_uri()


def revisions_dir(repo: RepoPaths) -> Path:
    return repo.data / "lineage" / "revisions"


def write_run_revision(repo: RepoPaths, run_id: str) -> None:
    """Keep the code revision run ``run_id`` ran with (``data/lineage/revisions/<run>.json``)."""
    folder = revisions_dir(repo)
    folder.mkdir(parents=True, exist_ok=True)
    payload = {"run_id": run_id, "git_revision": git_revision(), "repository": git_remote()}
    (folder / f"{run_id}.json").write_text(json.dumps(payload))


def run_revision(repo: RepoPaths, run_id: str) -> str | None:
    path = revisions_dir(repo) / f"{run_id}.json"
    return json.loads(path.read_text())["git_revision"] if path.exists() else None
