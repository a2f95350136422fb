"""The facets the platform's events carry: standard ones built from its records, and the
``axiom`` run facet for what they lack (run id, command, row counts, status, profile)."""

from __future__ import annotations

from typing import Any

import attr
from openlineage.client.facet_v2 import (
    RunFacet,
    column_lineage_dataset,
    data_quality_assertions_dataset,
    dataset_version_dataset,
    source_code_location_job,
)

from axiom_features.lineage.datasets import input_column
from axiom_features.lineage.revision import git_remote, git_revision

SCHEMA_URL = "https://axiom-features.dev/spec/facets/1-0-0/AxiomRunFacet.json#/$defs/AxiomRunFacet"


@attr.define
class AxiomRunFacet(RunFacet):
    """The platform's run: its own run id, the command, counts and outcome."""

    runId: str  # noqa: N815 - OpenLineage facet fields are camelCase
    command: str
    status: str
    rowCounts: dict[str, int] = attr.field(factory=dict)  # noqa: N815
    parameters: dict[str, Any] = attr.field(factory=dict)
    profile: str = "default"
    codeVersion: str = ""  # noqa: N815

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_URL


def source_code(
    transform_versions: list[str] | None = None,
) -> source_code_location_job.SourceCodeLocationJobFacet:
    """Where the job's code is: the git remote, the commit, and the transform versions."""
    return source_code_location_job.SourceCodeLocationJobFacet(
        type="git",
        url=git_remote(),
        repoUrl=git_remote(),
        path="transforms" if transform_versions else "axiom_features",
        version=git_revision(),
        tag=",".join(transform_versions) if transform_versions else None,
    )


def column_lineage(view: Any, namespace: str) -> column_lineage_dataset.ColumnLineageDatasetFacet:
    """Each feature of a catalogue view from its input columns (``transforms.catalogue``)."""
    fields = {}
    for feature in view.features:
        inputs = []
        for column in feature.inputs:
            dataset, field = input_column(column)
            inputs.append(
                column_lineage_dataset.InputField(
                    namespace=namespace,
                    name=dataset,
                    field=field,
                    transformations=[
                        column_lineage_dataset.Transformation(
                            type="DIRECT", subtype="TRANSFORMATION", description=feature.function
                        )
                    ],
                )
            )
        fields[feature.name] = column_lineage_dataset.Fields(
            inputFields=inputs,
            transformationDescription=f"{feature.function}({feature.parameters}) "
            f"warm-up {feature.warmup} bars",
            transformationType="TRANSFORMATION",
        )
    return column_lineage_dataset.ColumnLineageDatasetFacet(fields=fields)


def assertions(
    verdict: dict[str, Any],
) -> data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet:
    """The gate's verdict: one assertion per rule, failed when it held or warned any row."""
    counts = verdict.get("rule_counts", {})
    rules = verdict.get("rules", {})
    return data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
        assertions=[
            data_quality_assertions_dataset.Assertion(
                assertion=name,
                success=int(counts.get(name, 0)) == 0 and verdict.get("status") != "blocked",
                severity=str(info.get("severity", "")) or None,
                description=info.get("description") or None,
                actual=str(counts.get(name, 0)),
                expected="0",
            )
            for name, info in sorted(rules.items())
        ]
    )


def dataset_version(version: str) -> dataset_version_dataset.DatasetVersionDatasetFacet:
    return dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=version)
