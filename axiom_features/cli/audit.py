"""``axiom audit log|checkpoint|verify``: read, anchor and check the tamper-evident log."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from axiom_features.cli.support import console, fail_cleanly


def _log(ctx):  # noqa: ANN001, ANN202 - cli.Context → AuditLog
    from axiom_features.audit.config import for_profile
    from axiom_features.audit.log import AuditLog

    return AuditLog(ctx.repo, for_profile(ctx.profile))


@click.group()
def audit() -> None:
    """The audit log of every state-changing action: hash-linked, signed, verifiable."""


@audit.command("log")
@click.option("--last", type=int, help="Only the last N entries.")
@click.option("--json", "as_json", is_flag=True, help="One JSON entry per line.")
@click.pass_obj
@fail_cleanly
def show_log(ctx, last: int | None, as_json: bool):  # noqa: ANN001 - cli.Context
    """Print the entries: sequence, time, actor, command, outputs."""
    entries = _log(ctx).entries()
    for entry in entries[-last:] if last else entries:
        if as_json:
            click.echo(json.dumps(entry, sort_keys=True))
            continue
        outputs = ", ".join(o.get("name", "") for o in entry.get("outputs", []))
        console.print(
            f"{entry['seq']:>6}  {entry['time'][:19]}  {entry['actor']:<12} "
            f"{entry['command']:<18} {outputs}"
        )


@audit.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write it (default data/audit/checkpoints/<size>.json).")  # fmt: skip
@click.pass_obj
@fail_cleanly
def checkpoint(ctx, out: Path | None):  # noqa: ANN001 - cli.Context
    """Sign a checkpoint (size, Merkle root) of the verified log; keep a copy elsewhere."""
    made, path = _log(ctx).checkpoint(out)
    console.print(f"checkpoint of {made.size} entries, root {made.root}: {path}")


@audit.command()
@click.option("--checkpoint", "checkpoint_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="A checkpoint the log must still contain.")  # fmt: skip
@click.option("--public-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="PEM public key for signatures (default: the repository key).")  # fmt: skip
@click.pass_obj
@fail_cleanly
def verify(ctx, checkpoint_file: Path | None, public_key: Path | None):  # noqa: ANN001
    """Check every entry, the signed head and a checkpoint; exit 1 naming the first bad entry."""
    verdict = _log(ctx).verify(checkpoint_file, public_key)
    if not verdict.ok:
        click.echo(verdict.summary(), err=True)
        sys.exit(1)
    console.print(verdict.summary())
