"""Plain-text tables that DVC reads (plots) and people read (reports)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def wide_csv(index_name: str, columns: Mapping[str, Sequence[float]], start: int = 0) -> str:
    """CSV with an index column and one column per series (DVC plots draw each as a line).

    Shorter series are padded with empty cells; NaN is written empty too.
    """
    length = max((len(v) for v in columns.values()), default=0)
    lines = [",".join([index_name, *columns])]
    for i in range(length):
        cells = [str(i + start)]
        for values in columns.values():
            value = values[i] if i < len(values) else math.nan
            cells.append("" if not math.isfinite(value) else f"{value:.6g}")
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"
