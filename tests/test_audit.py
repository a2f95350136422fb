"""The audit log: hash-linked, signed, and verify names the first entry that was tampered with."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from axiom_features.audit.config import AuditConfig, PostgresAuditStoreConfig
from axiom_features.audit.entries import Action
from axiom_features.audit.log import AuditLog
from axiom_features.audit.merkle import leaf_hash, node_hash, root, subtrees
from axiom_features.cli.app import cli


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 6962's recursive definition, as written."""
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(_mth(leaves[:split]), _mth(leaves[split:]))


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 13, 64, 100])
def test_merkle_root_equals_the_rfc_6962_recursive_definition(size):
    leaves = [leaf_hash(str(i).encode()) for i in range(size)]
    assert root(leaves) == _mth(leaves)


def test_empty_tree_hash_is_the_hash_of_nothing():
    assert root([]) == hashlib.sha256(b"").digest()


def test_subtrees_cover_the_leaves_with_perfect_trees():
    assert subtrees(13) == [(0, 8), (8, 12), (12, 13)]


def _log(root_dir: Path, entries: int) -> AuditLog:
    log = AuditLog(root_dir)
    log.append(
        [Action(command=f"job-{i}", actor="tester", details={"i": i}) for i in range(entries)]
    )
    return log


def test_an_untouched_log_verifies(tmp_path):
    log = _log(tmp_path, 20)
    log.record(Action(command="materialize", actor="ops"))
    verdict = log.verify()
    assert verdict.ok and verdict.entries == 21


def test_entries_keep_actor_command_and_link_to_the_previous_one(tmp_path):
    log = _log(tmp_path, 3)
    first, second = log.entries()[:2]
    assert second["actor"] == "tester" and second["command"] == "job-1"
    line = next(iter(log.store.lines()))
    assert second["prev"] == line[:64].decode() and first["prev"] == "0" * 64


def _corrupt(lines: list[bytes], rng: random.Random) -> tuple[list[bytes], int, str]:
    """One random corruption and the first entry it makes bad."""
    n = len(lines)
    kind = rng.choice(["edit", "delete", "reorder", "truncate", "truncate_mid_line", "append"])
    out = list(lines)
    if kind == "edit":
        i = rng.randrange(n)
        text = bytearray(out[i])
        j = rng.randrange(len(text))
        text[j] = ord("x") if text[j] != ord("x") else ord("y")
        out[i] = bytes(text)
        return out, i, kind
    if kind == "delete":
        i = rng.randrange(n)
        del out[i]
        return out, i, kind
    if kind == "reorder":
        i, j = sorted(rng.sample(range(n), 2))
        out[i], out[j] = out[j], out[i]
        return out, i, kind
    if kind == "truncate":
        k = rng.randrange(n)
        return out[:k], k, kind
    if kind == "truncate_mid_line":
        k = rng.randrange(n)
        out = out[: k + 1]
        out[k] = out[k][: rng.randrange(1, len(out[k]))]
        return out, k, kind
    forged = json.loads(lines[-1][65:])
    forged.update(seq=n, prev=lines[-1][:64].decode(), command="forged")
    text = json.dumps(forged, sort_keys=True, separators=(",", ":")).encode()
    return out + [leaf_hash(text).hex().encode() + b" " + text], n, kind


def test_a_thousand_random_corruptions_are_each_caught_at_their_first_bad_entry(tmp_path):
    log = _log(tmp_path, 40)
    pristine = list(log.store.lines())
    path = log.store.log_path
    runner = CliRunner()
    rng = random.Random(12)
    seen = set()
    for _ in range(1000):
        lines, first_bad, kind = _corrupt(pristine, rng)
        path.write_bytes(b"".join(line + b"\n" for line in lines))
        result = runner.invoke(cli, ["--repo", str(tmp_path), "audit", "verify"])
        assert result.exit_code == 1, (kind, result.output)
        assert f"entry {first_bad}:" in result.output, (kind, first_bad, result.output)
        seen.add(kind)
    assert seen == {"edit", "delete", "reorder", "truncate", "truncate_mid_line", "append"}
    path.write_bytes(b"".join(line + b"\n" for line in pristine))
    assert runner.invoke(cli, ["--repo", str(tmp_path), "audit", "verify"]).exit_code == 0


def test_an_entry_rewritten_with_a_recomputed_hash_is_named(tmp_path):
    log = _log(tmp_path, 10)
    lines = list(log.store.lines())
    record = json.loads(lines[4][65:])
    record["actor"] = "someone-else"
    text = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
    lines[4] = leaf_hash(text).hex().encode() + b" " + text
    log.store.log_path.write_bytes(b"".join(line + b"\n" for line in lines))
    verdict = log.verify()
    assert verdict.first_bad == 4


def test_cli_verify_exits_zero_on_an_intact_log_and_names_the_bad_entry(tmp_path):
    log = _log(tmp_path, 12)
    runner = CliRunner()
    ok = runner.invoke(cli, ["--repo", str(tmp_path), "audit", "verify"])
    assert ok.exit_code == 0, ok.output
    lines = list(log.store.lines())
    del lines[7]
    log.store.log_path.write_bytes(b"".join(line + b"\n" for line in lines))
    bad = runner.invoke(cli, ["--repo", str(tmp_path), "audit", "verify"])
    assert bad.exit_code != 0
    assert "entry 7" in bad.output


def test_a_checkpoint_is_signed_and_detects_a_rewrite_behind_a_resigned_head(tmp_path):
    log = _log(tmp_path, 13)
    checkpoint, path = log.checkpoint(tmp_path / "kept-elsewhere.json")
    assert checkpoint.size == 13 and log.verify(path).ok
    log.record(Action(command="later", actor="tester"))
    assert log.verify(path).ok, "a log that grew still contains the checkpoint"
    # Rewrite entries 9.. with recomputed hashes and re-sign the head with the same key.
    entries = log.entries()
    entries[9]["actor"] = "mallory"
    tampered = AuditLog(tmp_path / "copy")
    tampered.store.folder.mkdir(parents=True)
    tampered._key_path = log._key_path
    from axiom_features.audit.entries import line

    prev, lines = "0" * 64, []
    for record in entries:
        record["prev"] = prev
        stored, prev = line(json.dumps(record, sort_keys=True, separators=(",", ":")).encode())
        lines.append(stored)
    from axiom_features.audit.head import Head

    tampered.store.append(lines, Head(len(lines), prev).signed(tampered.key))
    assert tampered.verify().ok, "consistent rewrite with the key passes the head check"
    verdict = tampered.verify(path)
    assert not verdict.ok and verdict.first_bad == 8 and "8..11" in verdict.reason


def test_cli_checkpoint_and_log(tmp_path):
    _log(tmp_path, 3)
    runner = CliRunner()
    made = runner.invoke(cli, ["--repo", str(tmp_path), "audit", "checkpoint"])
    assert made.exit_code == 0, made.output
    shown = runner.invoke(cli, ["--repo", str(tmp_path), "audit", "log", "--json"])
    assert [json.loads(x)["command"] for x in shown.output.splitlines()] == [
        "job-0",
        "job-1",
        "job-2",
    ]
    saved = next((tmp_path / "data" / "audit" / "checkpoints").glob("*.json"))
    checked = runner.invoke(
        cli, ["--repo", str(tmp_path), "audit", "verify", "--checkpoint", str(saved)]
    )
    assert checked.exit_code == 0, checked.output


def test_the_postgres_store_appends_verifies_and_catches_an_edit(tmp_path, fresh_postgres_url):
    import psycopg

    config = AuditConfig(store=PostgresAuditStoreConfig(type="postgres", url=fresh_postgres_url))
    log = AuditLog(tmp_path, config)
    log.append([Action(command=f"job-{i}", actor="tester") for i in range(5)])
    log.record(Action(command="release", actor="tester"))
    assert log.verify().ok and log.verify().entries == 6
    with psycopg.connect(fresh_postgres_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE axiom_audit_log SET line = convert_to(replace(convert_from(line, 'UTF8'), "
            "'job-3', 'job-X'), 'UTF8') "
            "WHERE seq = 3"
        )
    verdict = log.verify()
    assert verdict.first_bad == 3
    log.store.close()
