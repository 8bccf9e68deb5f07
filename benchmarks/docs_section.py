"""Each benchmark owns one marked section of docs/benchmarks.md and rewrites only that."""

from __future__ import annotations

from pathlib import Path

INTRO = (
    "# Benchmarks\n\nSpeed comparisons of the project's machinery against the plain "
    "alternative. Each section is written by its script in `benchmarks/` (`--write-docs`); "
    "see `benchmarks/README.md`.\n"
)


def write_section(doc: Path, name: str, heading: str, body: str) -> None:
    """Replace the text between `<!-- name:start -->` and `<!-- name:end -->`.

    A missing file or section is created (under `heading`); text outside the markers, such as
    hand-written findings, is kept.
    """
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = doc.read_text(encoding="utf-8") if doc.exists() else INTRO
    section = f"{start}\n{body}\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n## {heading}\n\n{section}\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")
