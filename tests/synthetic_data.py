"""Synthetic stand-ins for the real data, shared by fixtures and module-scoped set-ups."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dlpipe.datasets.mnist import MnistSplits


def synthetic_mnist(n_train: int = 400, n_other: int = 100, seed: int = 0) -> MnistSplits:
    """Digit-like images whose class is written in a bright row, so a small MLP can learn it."""
    rng = np.random.default_rng(seed)

    def make(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 10, size=n).astype(np.int64)
        x = rng.integers(0, 60, size=(n, 28, 28)).astype(np.uint8)
        x[np.arange(n), 2 * y + 4, :] = 255
        return x, y

    (tx, ty), (vx, vy), (sx, sy) = make(n_train), make(n_other), make(n_other)
    return MnistSplits(tx, ty, vx, vy, sx, sy)


_SURNAMES = ("Hargrave", "Hill", "Onio", "Boni", "Mitchell", "Chu", "Bartlett", "Obinna", "He")


def bank_churn_frame(rows: int = 200, seed: int = 0) -> pd.DataFrame:
    """A table shaped like the course's Churn_Modelling.csv (ids, a surname, two categorical
    columns, a 0/1 `Exited` target) whose churn depends on Age, IsActiveMember and Geography
    (older, inactive, German customers leave more), so a classifier can learn it (AUC ~0.8).
    Both classes always occur."""
    rng = np.random.default_rng(seed)
    geography = rng.choice(["France", "Germany", "Spain"], size=rows, p=[0.5, 0.25, 0.25])
    age = np.clip(rng.normal(39, 10, size=rows).round(), 18, 92).astype(np.int64)
    active = rng.integers(0, 2, size=rows)
    logit = -1.0 + 0.15 * (age - 39) - 1.5 * active + 1.5 * (geography == "Germany")
    exited = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    if exited.min() == exited.max():
        exited[0] = 1 - exited[0]
    has_balance = rng.random(rows) < 0.65
    return pd.DataFrame(
        {
            "RowNumber": np.arange(1, rows + 1),
            "CustomerId": 15_600_000 + rng.permutation(rows),
            "Surname": rng.choice(_SURNAMES, size=rows),
            "CreditScore": np.clip(rng.normal(650, 95, size=rows).round(), 350, 850).astype(int),
            "Geography": geography,
            "Gender": rng.choice(["Female", "Male"], size=rows),
            "Age": age,
            "Tenure": rng.integers(0, 11, size=rows),
            "Balance": np.where(has_balance, rng.normal(120_000, 30_000, size=rows), 0.0).round(2),
            "NumOfProducts": rng.choice([1, 2, 3, 4], size=rows, p=[0.5, 0.45, 0.04, 0.01]),
            "HasCrCard": rng.integers(0, 2, size=rows),
            "IsActiveMember": active,
            "EstimatedSalary": rng.uniform(10_000, 200_000, size=rows).round(2),
            "Exited": exited,
        }
    )
