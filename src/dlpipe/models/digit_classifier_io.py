"""The trained digit classifier as one file, so the VAE and GAN stages can score with it.

A plain `torch.save` of tensors and JSON-safe values (`dlpipe.models.model_file`), loaded with
`weights_only=True`: reading it never runs pickled code.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dlpipe.models.components.digit_cnn import DigitCNN
from dlpipe.models.model_file import read_model_file, write_model_file

FORMAT = "dlpipe.digit_classifier"
VERSION = 1


class DigitClassifierError(ValueError):
    """A digit classifier file is missing, unreadable, or does not describe a DigitCNN."""


def save_digit_classifier(
    path: Path, network: DigitCNN, metrics: Mapping[str, float] | None = None
) -> None:
    """Weights (on CPU) and the constructor's arguments, atomically; `metrics` (e.g. the test
    accuracy) ride along so a scoring stage can say how good its judge is."""
    state = {key: value.detach().cpu() for key, value in network.state_dict().items()}
    payload = {
        "meta": dict(network.init_kwargs),
        "metrics": {key: float(value) for key, value in (metrics or {}).items()},
        "state_dict": state,
    }
    write_model_file(path, FORMAT, VERSION, payload)


def load_digit_classifier(path: Path) -> tuple[DigitCNN, dict[str, Any]]:
    """(network in eval mode on CPU, the metrics saved with it) from a `save_digit_classifier`
    file."""
    payload = read_model_file(path, FORMAT, VERSION, "digit classifier", DigitClassifierError)
    try:
        network = DigitCNN(**payload["meta"])
        network.load_state_dict(payload["state_dict"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise DigitClassifierError(f"{path}: does not describe a digit classifier: {exc}") from exc
    return network.eval(), dict(payload.get("metrics", {}))
