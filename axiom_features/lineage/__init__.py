"""Lineage: OpenLineage events for every job, row-level provenance (``axiom lineage trace``)
and the dataset/job graph. The audit log lives beside it in :mod:`axiom_features.audit`."""
