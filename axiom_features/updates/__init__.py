"""The daily incremental update: new bars in, only the changed rows of each view recomputed."""
