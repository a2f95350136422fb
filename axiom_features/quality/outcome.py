"""What a check found in a batch, whichever engine ran it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


class CheckError(RuntimeError):
    """A check could not be evaluated (GX raised while computing it)."""


@dataclass(frozen=True)
class CheckOutcome:
    """What one check found in a batch."""

    success: bool
    unexpected: np.ndarray | None
    """Positions of the rows that failed, or None for a check about the batch as a whole."""
    observed: Any = None
