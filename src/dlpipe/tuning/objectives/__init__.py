"""One objective per family (a module each); `OBJECTIVES` maps family names to them.

Each reuses its family's own training function from `dlpipe.training`; none copies it.
"""

from collections.abc import Mapping
from types import MappingProxyType

from dlpipe.tuning.objectives.base import (
    Direction,
    Objective,
    RecordedDefaults,
    Scores,
    tuned_entry,
)
from dlpipe.tuning.objectives.classifiers import OBJECTIVE as CLASSIFIERS
from dlpipe.tuning.objectives.faces import OBJECTIVE as FACES
from dlpipe.tuning.objectives.gan import OBJECTIVE as GAN
from dlpipe.tuning.objectives.optimizers import OBJECTIVE as OPTIMIZERS
from dlpipe.tuning.objectives.recommender import OBJECTIVE as RECOMMENDER
from dlpipe.tuning.objectives.stock_lstm import OBJECTIVE as STOCK_LSTM
from dlpipe.tuning.objectives.vae import OBJECTIVE as VAE

OBJECTIVES: Mapping[str, Objective] = MappingProxyType(
    {
        objective.family: objective
        for objective in (STOCK_LSTM, FACES, RECOMMENDER, OPTIMIZERS, CLASSIFIERS, VAE, GAN)
    }
)

__all__ = ["OBJECTIVES", "Direction", "Objective", "RecordedDefaults", "Scores", "tuned_entry"]
