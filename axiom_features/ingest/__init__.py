"""Bar import: vendor CSV/Parquet files or in-memory frames → quality gate → lake + quarantine."""

from axiom_features.ingest.errors import IngestError
from axiom_features.ingest.importer import import_bars, import_frame
from axiom_features.ingest.results import FileReport, ImportResult, QualityOptions

__all__ = [
    "FileReport",
    "ImportResult",
    "IngestError",
    "QualityOptions",
    "import_bars",
    "import_frame",
]
