"""Several providers of the same bars merged into one consensus, with disagreements flagged."""

from axiom_features.quality.consensus.merge import ConsensusResult, consensus_bars, load_feeds
from axiom_features.quality.consensus.providers import SyntheticProviders, synthetic_providers
from axiom_features.quality.consensus.scores import ProviderScores

__all__ = [
    "ConsensusResult",
    "ProviderScores",
    "SyntheticProviders",
    "consensus_bars",
    "load_feeds",
    "synthetic_providers",
]
