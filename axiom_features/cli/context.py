"""The options every ``axiom`` command shares, and the decorator that passes them."""

from __future__ import annotations

from pathlib import Path

import click


class Context:
    """Options every command shares."""

    def __init__(self, repo: Path, profile: str) -> None:
        self.repo = repo.resolve()
        self.profile = profile


pass_context = click.make_pass_decorator(Context)


pass_context = click.make_pass_decorator(Context)
