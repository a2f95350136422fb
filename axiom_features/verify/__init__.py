"""Finding and repairing damaged stores: checksums recorded at write time, rebuilt files."""

from axiom_features.verify.check import Damage, VerifyReport, verify_stores
from axiom_features.verify.repair import RepairReport, repair_stores

__all__ = ["Damage", "RepairReport", "VerifyReport", "repair_stores", "verify_stores"]
