"""The VAE: the validation negative ELBO (nats per image, the beta = 1 bound whatever `vae.beta`
is) of the best epoch, through train_vae's own training function (val/neg_elbo per epoch for the
pruner). The latent-2 copy and the anchor are not trained: they do not change that figure.

train_vae already trained the defaults at full settings on the same splits: the retrain reads
their figures from its details.json (`validation`, `test`) instead of training them again."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import optuna

from dlpipe.config import Params
from dlpipe.datasets.mnist import MnistSplits, load_splits
from dlpipe.training.vae import MONITOR, train_vae
from dlpipe.tuning.objectives.base import Objective, RecordedDefaults, Scores

MNIST = "data/raw/mnist.npz"  # dlpipe.families.generative.MNIST
DETAILS = "reports/generative/vae/details.json"  # train_vae's details


def load(params: Params, root: Path) -> MnistSplits:
    return load_splits(root / MNIST)


def score(
    params: Params, splits: MnistSplits, trial: optuna.Trial | None, workdir: Path, with_test: bool
) -> Scores:
    cfg = params.vae.replace(latent2_epochs=0, anchor=False)
    result = train_vae(splits, cfg, params.training, params.seed, None, workdir)
    extra = {"best_epoch": float(result.best_epoch)}
    if not with_test:
        return Scores(val=result.val_neg_elbo, extra=extra)
    test = result.test
    extra |= {"test/recon": test["test/recon"], "test/kl": test["test/kl"]}
    return Scores(val=result.val_neg_elbo, test=test["test/neg_elbo"], extra=extra)


def recorded(params: Params, details: Mapping[str, Any]) -> Scores:
    """train_vae's figures of the defaults: the tested epoch's validation and test neg. ELBO."""
    try:
        val = float(details["validation"]["val/neg_elbo"])
        test = float(details["test"]["test/neg_elbo"])
    except (KeyError, TypeError) as exc:
        raise ValueError(f"no validation or test negative ELBO ({exc})") from None
    return Scores(val=val, test=test)


OBJECTIVE = Objective(
    family="vae",
    metric="neg_elbo",
    direction="minimize",
    monitor=MONITOR,
    fidelity=lambda params, epochs: {"vae.max_epochs": epochs},
    reads=("seed", "mnist", "vae"),
    data=(MNIST,),
    load=load,
    score=score,
    recorded=RecordedDefaults(path=DETAILS, stage="train_vae", read=recorded),
)
