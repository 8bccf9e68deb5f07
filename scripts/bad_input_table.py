"""The "Bad input" table of docs/operations.md, made by running the test cases.

Every case of tests/bad_input_cases.py is run in a temporary folder and its real message goes
into the table, so the documentation shows what a user sees and cannot drift from the code:
tests/test_bad_input.py runs this script with `--check`.

    PYTHONPATH=src .venv/bin/python scripts/bad_input_table.py            # print the table
    PYTHONPATH=src .venv/bin/python scripts/bad_input_table.py --write    # into the docs
    PYTHONPATH=src .venv/bin/python scripts/bad_input_table.py --check    # exit 1 if stale
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "operations.md"
START, END = "<!-- bad-input:start -->", "<!-- bad-input:end -->"
sys.path.insert(0, str(REPO / "tests"))

from bad_input_cases import CASES, fresh_folder, run_case  # noqa: E402


def table() -> str:
    """One Markdown row per case: where, what is wrong, the message (exit status for commands)."""
    rows = ["| stage or command | bad input | message |", "|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="dlpipe-bad-input-") as base:
        for index, case in enumerate(CASES):
            outcome = run_case(case, fresh_folder(Path(base), index))
            exit_note = f" (exit {outcome.exit_code})" if outcome.exit_code is not None else ""
            rows.append(
                f"| {_cell(case.where)} | {_cell(case.case)}{exit_note} | "
                f"{_cell(outcome.message)} |"
            )
    return "\n".join(rows)


def _cell(text: str) -> str:
    """Table-safe: pipes escaped, angle brackets as entities (`<TAB>` is not an HTML tag)."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def documented(doc: Path = DOC) -> str | None:
    text = doc.read_text(encoding="utf-8")
    if START not in text or END not in text:
        return None
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n")


def write(body: str, doc: Path = DOC) -> None:
    """Replace the marked table; it must already sit in the "## Bad input" section."""
    text = doc.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    doc.write_text(f"{head}{START}\n{body}\n{END}{rest.split(END, 1)[1]}", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the table in the docs")
    mode.add_argument("--check", action="store_true", help="exit 1 if the docs' table is stale")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # the cases' own log lines are not the table
    body = table()
    if args.write:
        write(body)
    elif args.check:
        if documented() != body:
            print(f"{DOC}: the bad-input table is stale; run scripts/bad_input_table.py --write")
            return 1
    else:
        print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
