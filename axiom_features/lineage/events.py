"""OpenLineage run events (START, COMPLETE, FAIL) built from the platform's run records, as
JSON-ready dicts in the shape of the spec's ``RunEvent`` (2-0-2).

Per command the events carry what the platform knows: an import's vendor files (with their
sha256 as dataset version) and the gate's verdict as data-quality assertions; a transform's
offline tables with each feature's column lineage from the catalogue and the view version;
a materialization's online views with the version and whylogs profile written.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from axiom_features.lakes.provenance import read_manifest
from axiom_features.lineage import facets
from axiom_features.lineage.datasets import FILE_NAMESPACE, dataset_id
from axiom_features.paths import RepoPaths
from axiom_features.pipeline.runs import RunRecord

RUN_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
STATES = ("START", "COMPLETE", "FAIL")
RunEvent = dict[str, Any]


def run_uuid(run_id: str) -> str:
    """The OpenLineage run id (a UUID) of a platform run id, the same every time."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"axiom-run:{run_id}"))


def run_event(
    state: str, record: RunRecord, root: Path, *, namespace: str = "axiom", profile: str = "default"
) -> RunEvent:
    """The ``state`` event of ``record``'s run (inputs and outputs as far as known)."""
    repo = RepoPaths(root)
    if state not in STATES:
        raise ValueError(f"run event state must be one of {', '.join(STATES)}, not {state!r}")
    run_facets: dict[str, Any] = {
        "axiom": facets.axiom_run(
            runId=record.run_id,
            command=record.command,
            status=record.status,
            rowCounts={k: int(v) for k, v in record.row_counts.items() if _is_int(v)},
            parameters=json.loads(json.dumps(record.parameters, default=str)),
            profile=profile,
            codeVersion=record.code_version,
        )
    }
    if state == "FAIL" and record.error:
        run_facets["errorMessage"] = facets.error_message(record.error, _traceback(record))
    views = _views(record)
    job_facets: dict[str, Any] = {
        "jobType": facets.job_type(),
        "sourceCodeLocation": facets.source_code(_transform_versions(views)),
    }
    inputs = [_input(item, record, repo, namespace) for item in record.inputs]
    outputs = [_output(item, record, views, namespace) for item in record.outputs]
    return {
        "eventType": state,
        "eventTime": datetime.now(UTC).isoformat(),
        "run": {"runId": run_uuid(record.run_id), "facets": run_facets},
        "job": {
            "namespace": namespace,
            "name": record.command.replace(" ", "_"),
            "facets": job_facets,
        },
        "inputs": inputs,
        "outputs": outputs,
        "producer": facets.PRODUCER,
        "schemaURL": RUN_EVENT_SCHEMA,
    }


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _traceback(record: RunRecord) -> str | None:
    return getattr(record, "traceback", None)


def _views(record: RunRecord) -> dict[str, Any]:
    """Catalogue views a transform wrote (empty for other commands)."""
    if record.command != "transform" or not record.outputs:
        return {}
    from transforms.catalogue import catalogue

    cat = catalogue()
    names = [o.partition(":")[2] for o in record.outputs if o.startswith("offline:")]
    return {name: cat.view(name) for name in names if name in {v.name for v in cat.select()}}


def _transform_versions(views: dict[str, Any]) -> list[str] | None:
    if not views:
        return None
    return sorted({f.version for view in views.values() for f in view.features})


def _input(item: str, record: RunRecord, repo: RepoPaths, namespace: str) -> dict[str, Any]:
    space, name = dataset_id(item, namespace)
    dataset_facets: dict[str, Any] = {}
    input_facets: dict[str, Any] = {}
    if space == FILE_NAMESPACE and record.command.startswith("ingest"):
        sha = _manifest_sha(repo, record.run_id, name)
        if sha:
            dataset_facets["version"] = facets.dataset_version(sha)
        verdict = _verdict(repo, record.run_id)
        if verdict:
            input_facets["dataQualityAssertions"] = facets.assertions(verdict)
    return {"namespace": space, "name": name, "facets": dataset_facets, "inputFacets": input_facets}


def _output(item: str, record: RunRecord, views: dict[str, Any], namespace: str) -> dict[str, Any]:
    space, name = dataset_id(item, namespace)
    dataset_facets: dict[str, Any] = {}
    kind, _, view_name = item.partition(":")
    view = views.get(view_name)
    if kind == "offline" and view is not None:
        dataset_facets["columnLineage"] = facets.column_lineage(view, namespace)
        dataset_facets["version"] = facets.dataset_version(view.version)
    if kind == "online":
        version = record.parameters.get("versions", {}).get(view_name) if isinstance(
            record.parameters.get("versions"), dict
        ) else None  # fmt: skip
        if version:
            dataset_facets["version"] = facets.dataset_version(version)
    return {"namespace": space, "name": name, "facets": dataset_facets, "outputFacets": {}}


def _manifest_sha(repo: RepoPaths, run_id: str, path: str) -> str | None:
    for described in read_manifest(repo, run_id).values():
        if described.get("path") == path:
            return described.get("sha256")
    return None


def _verdict(repo: RepoPaths, run_id: str) -> dict[str, Any] | None:
    from axiom_features.quality.store import verdict_path

    path = verdict_path(repo, run_id)
    return json.loads(path.read_text()) if path.exists() else None
