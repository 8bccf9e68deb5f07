"""Callbacks that every Trainer built inside a block gets: how tuning adds Optuna's pruning
callback to a family's own training function without a parameter threaded through each one.

    with trial_callbacks(PruningCallback(trial, "val/loss")):
        train_lstm(...)          # its build_trainer(...) appends the callback

A context variable, not module state: it is set only inside the `with` block (and per thread),
so a Trainer built anywhere else never sees it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import lightning.pytorch as pl

_CALLBACKS: ContextVar[tuple[pl.Callback, ...]] = ContextVar("dlpipe_trial_callbacks", default=())


@contextmanager
def trial_callbacks(*callbacks: pl.Callback) -> Iterator[None]:
    """Inside the block, `build_trainer` appends `callbacks` to every Trainer it builds."""
    token = _CALLBACKS.set((*_CALLBACKS.get(), *callbacks))
    try:
        yield
    finally:
        _CALLBACKS.reset(token)


def active_callbacks() -> tuple[pl.Callback, ...]:
    """The callbacks of the enclosing `trial_callbacks` blocks (none outside them)."""
    return _CALLBACKS.get()
