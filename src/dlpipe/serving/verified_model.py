"""`python -m dlpipe.serving.verified_model NAME [--version N]`: download a registered model's
files, check them against the sha256 pinned at registration, and print the folder.

`make serve` hands that folder to `mlflow models serve -m`, so MLflow's server, which would
otherwise unpickle whatever the registry's artifact store holds, loads only the pinned files.
Exit status 2 with `error: ...` on stderr when the model is missing or its files changed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dlpipe.paths import project_root
from dlpipe.tracking import ModelIntegrityError, ModelNotRegisteredError, verified_model_folder


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlpipe.serving.verified_model")
    parser.add_argument("name", help="registered model name, e.g. dlpipe-faces")
    parser.add_argument("--version", type=int, default=None, help="default: the latest")
    args = parser.parse_args(argv)
    try:
        folder, _ = verified_model_folder(project_root(), args.name, args.version)
    except (ModelNotRegisteredError, ModelIntegrityError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
