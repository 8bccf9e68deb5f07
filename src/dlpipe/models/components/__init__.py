"""Plain nn.Modules, free of Lightning, so they can be reused and tested on their own."""

from dlpipe.models.components.mlp import MLP

__all__ = ["MLP"]
