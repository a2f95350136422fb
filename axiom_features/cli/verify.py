"""``axiom verify`` and ``axiom repair``: damaged stores found from checksums, and rebuilt."""

from __future__ import annotations

import click

from axiom_features.cli.context import Context, pass_context
from axiom_features.cli.support import console, fail_cleanly, summary_table


@click.command()
@click.option(
    "--online/--no-online",
    default=True,
    help="Compare the profile's online store with the offline tables (every entity).",
)
@pass_context
@fail_cleanly
def verify(ctx: Context, online: bool):
    """Check every lake, offline and quarantine file against its recorded checksum, every
    materialization's profile against its rows, and online values against offline rows."""
    from axiom_features.paths import RepoPaths
    from axiom_features.verify import verify_stores

    report = verify_stores(RepoPaths(ctx.repo), online_profiles=[ctx.profile] if online else [])
    rows = [("files checked", report.checked), ("without a checksum", report.unrecorded)]
    rows += [("profiles checked", report.profiles_checked)]
    rows += [("online store checked", profile) for profile in report.online_checked]
    rows += [(f"damaged ({d.store})", f"{d.path}: {d.reason}") for d in report.damaged]
    console.print(summary_table("verify", rows))
    if not report.ok:
        raise click.exceptions.Exit(1)


@click.command()
@pass_context
@fail_cleanly
def repair(ctx: Context):
    """Rebuild damaged lake files from their recorded sources and offline tables from the lake."""
    from axiom_features.paths import RepoPaths
    from axiom_features.verify import repair_stores

    report = repair_stores(RepoPaths(ctx.repo))
    rows = [("rebuilt", path) for path in report.rebuilt]
    rows += [("not rebuilt", f"{d.path}: {d.reason}") for d in report.not_rebuilt]
    console.print(summary_table("repair", rows or [("nothing damaged", "")]))
    if report.not_rebuilt:
        raise click.exceptions.Exit(1)
