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


def markdown_table(corner: str, rows: Mapping[str, Mapping[str, object]]) -> str:
    """Rows x columns as a Markdown table; columns are the union of the rows' keys, in order."""
    columns: list[str] = []
    for row in rows.values():
        columns += [c for c in row if c not in columns]
    lines = [
        "| " + " | ".join([corner, *columns]) + " |",
        "|" + "---|" * (len(columns) + 1),
    ]
    for name, row in rows.items():
        cells = [_cell(row.get(c)) for c in columns]
        lines.append("| " + " | ".join([name, *cells]) + " |")
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else ""
    return str(value)


def figures(entries: Mapping[str, str]) -> list[str]:
    """Markdown lines embedding each image (path relative to the page -> caption)."""
    lines = []
    for path, caption in entries.items():
        lines += [f"![{caption}]({path})", "", f"*{caption}*", ""]
    return lines
