"""The facets the platform's events carry, as JSON-ready dicts: standard ones built from its
records (each with the ``_schemaURL`` of its OpenLineage facet spec), and the ``axiom`` run
facet for what they lack (run id, command, row counts, status, profile)."""

from __future__ import annotations

from typing import Any

from axiom_features.lineage.datasets import input_column
from axiom_features.lineage.revision import git_remote, git_revision

PRODUCER = "https://github.com/axiom-features/axiom-features"
SPEC = "https://openlineage.io/spec"
SCHEMAS = {
    "AxiomRunFacet": "https://axiom-features.dev/spec/facets/1-0-0/AxiomRunFacet.json",
    "ColumnLineageDatasetFacet": f"{SPEC}/facets/1-2-0/ColumnLineageDatasetFacet.json",
    "DataQualityAssertionsDatasetFacet": (
        f"{SPEC}/facets/1-1-0/DataQualityAssertionsDatasetFacet.json"
    ),
    "DatasetVersionDatasetFacet": f"{SPEC}/facets/1-0-1/DatasetVersionDatasetFacet.json",
    "SourceCodeLocationJobFacet": f"{SPEC}/facets/1-1-0/SourceCodeLocationJobFacet.json",
    "ErrorMessageRunFacet": f"{SPEC}/facets/1-0-1/ErrorMessageRunFacet.json",
    "JobTypeJobFacet": f"{SPEC}/facets/2-0-4/JobTypeJobFacet.json",
}
"""Each facet's schema document (the ``$defs`` entry is the facet's name)."""

Facet = dict[str, Any]


def facet(name: str, **fields: Any) -> Facet:
    """A facet ``name`` with ``fields`` (``None`` values left out, as the spec's serializers do)."""
    body = {k: v for k, v in fields.items() if v is not None}
    return {"_producer": PRODUCER, "_schemaURL": f"{SCHEMAS[name]}#/$defs/{name}", **body}


def axiom_run(**fields: Any) -> Facet:
    """The platform's run: its own run id, the command, counts, parameters and outcome."""
    return facet("AxiomRunFacet", **fields)


def job_type() -> Facet:
    return facet("JobTypeJobFacet", processingType="BATCH", integration="AXIOM", jobType="JOB")


def error_message(message: str, stack_trace: str | None) -> Facet:
    return facet(
        "ErrorMessageRunFacet",
        message=message,
        programmingLanguage="python",
        stackTrace=stack_trace,
    )


def source_code(transform_versions: list[str] | None = None) -> Facet:
    """Where the job's code is: the git remote, the commit, and the transform versions."""
    return facet(
        "SourceCodeLocationJobFacet",
        type="git",
        url=git_remote(),
        repoUrl=git_remote(),
        path="transforms" if transform_versions else "axiom_features",
        version=git_revision(),
        tag=",".join(transform_versions) if transform_versions else None,
    )


def column_lineage(view: Any, namespace: str) -> Facet:
    """Each feature of a catalogue view from its input columns (``transforms.catalogue``)."""
    fields = {}
    for feature in view.features:
        inputs = []
        for column in feature.inputs:
            dataset, field = input_column(column)
            transformation = {
                "type": "DIRECT",
                "subtype": "TRANSFORMATION",
                "description": feature.function,
            }
            inputs.append(
                {
                    "namespace": namespace,
                    "name": dataset,
                    "field": field,
                    "transformations": [transformation],
                }
            )
        fields[feature.name] = {
            "inputFields": inputs,
            "transformationDescription": f"{feature.function}({feature.parameters}) "
            f"warm-up {feature.warmup} bars",
            "transformationType": "TRANSFORMATION",
        }
    return facet("ColumnLineageDatasetFacet", fields=fields)


def assertions(verdict: dict[str, Any]) -> Facet:
    """The gate's verdict: one assertion per rule, failed when it held or warned any row."""
    counts = verdict.get("rule_counts", {})
    rules = verdict.get("rules", {})
    blocked = verdict.get("status") == "blocked"
    found = []
    for name, info in sorted(rules.items()):
        hits = int(counts.get(name, 0))
        entry = {
            "assertion": name,
            "success": hits == 0 and not blocked,
            "severity": str(info.get("severity", "")) or None,
            "description": info.get("description") or None,
            "actual": str(hits),
            "expected": "0",
        }
        found.append({k: v for k, v in entry.items() if v is not None})
    return facet("DataQualityAssertionsDatasetFacet", assertions=found)


def dataset_version(version: str) -> Facet:
    return facet("DatasetVersionDatasetFacet", datasetVersion=version)
