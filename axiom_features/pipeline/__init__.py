"""The jobs as functions: import, transform, materialize; run records and view versions."""
