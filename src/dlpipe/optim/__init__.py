"""The course's seven optimizers as torch optimizers, and the name -> optimizer factory."""

from dlpipe.optim.adadelta import AdaDelta
from dlpipe.optim.adagrad import AdaGrad
from dlpipe.optim.adam import Adam
from dlpipe.optim.factory import OPTIMIZERS, OptimizerFactory, optimizer_factory
from dlpipe.optim.momentum import Momentum
from dlpipe.optim.nesterov import Nesterov
from dlpipe.optim.rmsprop import RMSprop
from dlpipe.optim.sgd import SGD

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "AdaDelta",
    "AdaGrad",
    "Adam",
    "Momentum",
    "Nesterov",
    "OptimizerFactory",
    "RMSprop",
    "optimizer_factory",
]
