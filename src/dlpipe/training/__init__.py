"""The one Trainer factory and the callbacks every family shares."""

from dlpipe.training.callbacks import EpochHistory, NonFiniteLossError, StopOnNonFiniteLoss
from dlpipe.training.trainer_factory import build_trainer

__all__ = ["EpochHistory", "NonFiniteLossError", "StopOnNonFiniteLoss", "build_trainer"]
