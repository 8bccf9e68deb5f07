"""The layer contracts of pyproject.toml ([tool.importlinter]) hold for src/dlpipe.

import-linter builds the import graph of `dlpipe` from the source (nothing is imported) and checks
each contract, indirect imports included. It runs as `lint-imports` in a subprocess of this
interpreter, with this checkout's src/ first on the path, so a `dvc exp run --temp` copy or a
clone checks its own code, not the editable install's. The whole file takes about a second, so
nothing in it is marked slow: the contracts are checked by every `pytest` run, `make test` too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = "from importlinter.cli import lint_imports_command as c; c()"


def lint_imports(config: Path, cwd: Path, src: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports --config CONFIG` over the packages in `src`; no cache files are written."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")]))
    env.update(NO_COLOR="1", COLUMNS="200")  # plain, unwrapped report lines
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--config", str(config), "--no-cache", "--no-logo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_dlpipe_keeps_its_layer_contracts() -> None:
    done = lint_imports(REPO / "pyproject.toml", REPO, REPO / "src")
    assert done.returncode == 0, (
        "import-linter found imports that break dlpipe's layers (pyproject.toml "
        "[tool.importlinter]; docs/DESIGN.md 'Layout'):\n" + done.stdout + done.stderr
    )


TOY_CONTRACTS = """\
[tool.importlinter]
root_package = "toy"
include_external_packages = true

[[tool.importlinter.contracts]]
name = "toy layers"
type = "layers"
containers = ["toy"]
layers = ["(cli)", "training | reporting", "models"]
exhaustive = true

[[tool.importlinter.contracts]]
name = "toy components without lightning"
type = "forbidden"
source_modules = ["toy.models"]
forbidden_modules = ["lightning"]
"""


def toy_package(root: Path, reporting_imports: str) -> Path:
    """`toy` with training, reporting and models (no `cli` yet: an optional layer); the
    reporting module's body is `reporting_imports`."""
    package = root / "src" / "toy"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "models.py").write_text("VALUE = 1\n", encoding="utf-8")
    (package / "training.py").write_text("from toy import models\n", encoding="utf-8")
    (package / "reporting.py").write_text(textwrap.dedent(reporting_imports), encoding="utf-8")
    (root / "contracts.toml").write_text(TOY_CONTRACTS, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("reporting_imports", "broken"),
    [
        ("from toy import models\n", None),
        (
            "def table():\n    from toy.training import models\n    return models\n",
            "toy.reporting is not allowed to import toy.training",
        ),
    ],
    ids=["kept", "sibling-import"],
)
def test_a_broken_contract_fails_and_names_the_import(
    tmp_path: Path, reporting_imports: str, broken: str | None
) -> None:
    root = toy_package(tmp_path, reporting_imports)
    done = lint_imports(root / "contracts.toml", root, root / "src")
    report = done.stdout + done.stderr
    if broken is None:  # the optional, missing `cli` layer is no error
        assert done.returncode == 0, report
        assert "Contracts: 2 kept, 0 broken." in report
    else:
        assert done.returncode != 0, report
        assert "toy layers BROKEN" in report
        assert broken in report
        assert "toy.reporting -> toy.training (l.2)" in report


def test_a_forbidden_external_package_is_reported(tmp_path: Path) -> None:
    root = toy_package(tmp_path, "from toy import models\n")
    (root / "src" / "toy" / "models.py").write_text("import lightning\n", encoding="utf-8")
    done = lint_imports(root / "contracts.toml", root, root / "src")
    report = done.stdout + done.stderr
    assert done.returncode != 0, report
    assert "toy components without lightning BROKEN" in report
    assert "toy.models is not allowed to import lightning" in report
