"""A family's headline numbers: what its DVC metrics file and its MLflow parent run carry.

The same flat `split/metric` keys in every family (`test/accuracy`, `test/rmse`, and the best
baseline's under `baseline/`), numbers only, at most MAX_VALUES: `dvc exp show` stays readable and
`dvc metrics diff` shows no noise (no timings, no text). Details go to each family's details JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

MAX_VALUES = 15


def headline(
    model: Mapping[str, float],
    baseline: Mapping[str, float],
    comparison: Mapping[str, float],
    data: Mapping[str, int],
    split: str = "test",
) -> dict[str, float]:
    """`model`/`baseline`: metrics by name (`accuracy`, `rmse`, ...) on `split` (`test`, or
    `cv` for cross-validated means); `comparison`: e.g. `rmse_ratio`, `p_value`, `verdict`;
    `data`: counts. Non-finite values are left out."""
    values: dict[str, float] = {}
    values.update({f"{split}/{k}": v for k, v in model.items()})
    values.update({f"baseline/{k}": v for k, v in baseline.items()})
    values.update(comparison)
    values.update({f"data/{k}": v for k, v in data.items()})
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"headline {key!r} must be a number, got {value!r}")
    if len(values) > MAX_VALUES:
        raise ValueError(f"{len(values)} headline values (at most {MAX_VALUES}): {sorted(values)}")
    return {k: v for k, v in values.items() if isinstance(v, int) or math.isfinite(v)}


def skipped_headline() -> dict[str, float]:
    """A family with nothing to work on: one number that says so (1), nothing else."""
    return {"skipped": 1}
