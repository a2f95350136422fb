"""What every ``axiom`` command shares: consoles, clean failures, progress, summaries."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from axiom_features.cli.output import FoldingConsole

console = FoldingConsole(highlight=False)
err_console = FoldingConsole(stderr=True, highlight=False)

#: Errors whose message is the whole story: shown as one line, exit code 1.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (ValueError, OSError, KeyError)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def fail_cleanly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn any error into one line, ``error: <what> <where>: <reason>`` with passwords
    masked, on stderr and exit code 1; the traceback stays in the run record (and is printed
    when ``AXIOM_DEBUG`` is set)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if os.environ.get("AXIOM_DEBUG"):
                raise
            err_console.print(f"[bold red]error:[/] {escape(error_line(exc))}", soft_wrap=True)
            sys.exit(1)

    return wrapper


def error_line(exc: BaseException) -> str:
    """The one line a failure prints (after ``error:``), naming the run record that keeps
    its traceback when there is one."""
    from axiom_features.resilience.errors import describe

    line = describe(exc)
    run_id = getattr(exc, "axiom_run_id", None)
    return f"{line} (traceback in run {run_id})" if run_id else line


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar fed by ``(done, total)`` callbacks."""
    with Progress(
        f"[bold]{label}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def parse_time(value: str | None, default: datetime) -> datetime:
    """An ISO date or datetime; naive values are UTC."""
    if value is None:
        return default
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"'{value}' is not an ISO date or datetime") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def print_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=2, default=str))


def summary_table(title: str, rows: list[tuple[str, Any]]) -> Table:
    """A two-column key/value table for a command's closing summary."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, value in rows:
        table.add_row(key, str(value))
    return table
