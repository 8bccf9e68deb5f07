"""Run pipeline stages one after another in one process, each as DVC runs its script.

    cd PROJECT && PYTHONPATH=REPO/src python run_stages.py compare_optimizers tune@stock_lstm

`NAME@KEY` is a `foreach` stage (pipeline/NAME.py KEY). One process for many stages keeps the
determinism tests fast (Python, torch, Lightning and MLflow are imported once); it also means a
stage that leaned on random state left by the stage before it would change with the order,
which is why the tests run the stages in two different orders.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

PIPELINE = Path(__file__).resolve().parents[2] / "pipeline"


def run_stages(entries: list[str]) -> None:
    for entry in entries:
        name, _, key = entry.partition("@")
        script = PIPELINE / f"{name}.py"
        sys.argv = [str(script), *([key] if key else [])]
        runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    run_stages(sys.argv[1:])
