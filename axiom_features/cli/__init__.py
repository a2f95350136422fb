"""``axiom``: the command line, one module per command group on one root group."""
