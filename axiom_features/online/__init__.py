"""Online store plugins."""
