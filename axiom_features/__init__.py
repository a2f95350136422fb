"""Axiom Features: validated, monitored, point-in-time-correct market features on Feast."""

__version__ = "0.1.0"
