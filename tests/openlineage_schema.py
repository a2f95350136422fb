"""The OpenLineage 2-0-2 RunEvent schema's required structure and the facets the platform
emits, as a JSON Schema (draft 2020-12) written from the spec (spec/OpenLineage.json and
spec/facets/*.json of the OpenLineage project)."""

from __future__ import annotations

URI = {"type": "string", "format": "uri", "minLength": 1}
BASE_FACET = {
    "type": "object",
    "required": ["_producer", "_schemaURL"],
    "properties": {"_producer": URI, "_schemaURL": URI},
}


def _facet(required: list[str], properties: dict) -> dict:
    return {
        "allOf": [BASE_FACET, {"type": "object", "required": required, "properties": properties}]
    }


INPUT_FIELD = {
    "type": "object",
    "required": ["namespace", "name", "field"],
    "properties": {
        "namespace": {"type": "string"},
        "name": {"type": "string"},
        "field": {"type": "string"},
    },
}
FACETS = {
    "columnLineage": _facet(
        ["fields"],
        {
            "fields": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["inputFields"],
                    "properties": {
                        "inputFields": {"type": "array", "items": INPUT_FIELD},
                        "transformationDescription": {"type": "string"},
                        "transformationType": {"type": "string"},
                    },
                },
            }
        },
    ),
    "dataQualityAssertions": _facet(
        ["assertions"],
        {
            "assertions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["assertion", "success"],
                    "properties": {
                        "assertion": {"type": "string"},
                        "success": {"type": "boolean"},
                        "column": {"type": "string"},
                        "severity": {"type": "string"},
                    },
                },
            }
        },
    ),
    "sourceCodeLocation": _facet(
        ["type", "url"],
        {"type": {"type": "string"}, "url": URI, "version": {"type": "string"}},
    ),
    "version": _facet(["datasetVersion"], {"datasetVersion": {"type": "string"}}),
    "errorMessage": _facet(
        ["message", "programmingLanguage"],
        {"message": {"type": "string"}, "programmingLanguage": {"type": "string"}},
    ),
    "jobType": _facet(
        ["processingType", "integration", "jobType"],
        {"processingType": {"enum": ["BATCH", "STREAMING"]}, "integration": {"type": "string"}},
    ),
}


def _facets_of() -> dict:
    return {
        "type": "object",
        "properties": FACETS,
        "additionalProperties": BASE_FACET,
    }


DATASET = {
    "type": "object",
    "required": ["namespace", "name"],
    "properties": {
        "namespace": {"type": "string"},
        "name": {"type": "string"},
        "facets": _facets_of(),
        "inputFacets": _facets_of(),
        "outputFacets": _facets_of(),
    },
}
RUN_EVENT = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["run", "job", "eventTime", "producer", "schemaURL"],
    "properties": {
        "eventType": {"enum": ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]},
        "eventTime": {"type": "string", "format": "date-time"},
        "producer": URI,
        "schemaURL": URI,
        "run": {
            "type": "object",
            "required": ["runId"],
            "properties": {"runId": {"type": "string", "format": "uuid"}, "facets": _facets_of()},
        },
        "job": {
            "type": "object",
            "required": ["namespace", "name"],
            "properties": {
                "namespace": {"type": "string"},
                "name": {"type": "string"},
                "facets": _facets_of(),
            },
        },
        "inputs": {"type": "array", "items": DATASET},
        "outputs": {"type": "array", "items": DATASET},
    },
}
