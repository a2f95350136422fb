"""Pure feature computations and the catalogue that names every output column."""
