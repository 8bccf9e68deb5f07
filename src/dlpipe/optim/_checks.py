"""Argument checks shared by the optimizers, so every bad value fails the same clear way.

Each check is written as ``not (value <op> bound)`` so that NaN fails too.
"""

from __future__ import annotations


def check_non_negative(name: str, value: float) -> None:
    """Reject values below zero (a negative learning rate climbs the loss)."""
    if not value >= 0.0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")


def check_positive(name: str, value: float) -> None:
    """Reject values that are not strictly positive (an eps of 0 divides 0 by 0)."""
    if not value > 0.0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def check_decay(name: str, value: float) -> None:
    """Reject decay factors outside [0, 1): at 1 a running average never forgets or diverges."""
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
