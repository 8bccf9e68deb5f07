"""Checkpoints and model files load with `weights_only=True`: the source says so at every call,
and every kind of file the pipeline writes really loads that way, while a file that would run
code when unpickled is refused.

Kinds of file: Lightning checkpoints of a SplitModule (classifier), the VAE and the GAN (what
`fit` restores and `dlpipe sample` reads), and the tagged `torch.save` model files
(`dlpipe.models.model_file`: digit classifier, face CNN, stock LSTM).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
import torch

from dlpipe.config import TrainingConfig
from dlpipe.data.tensor_data import PairsDataModule, TensorPairs, tensor_loader
from dlpipe.models.classifier_module import ClassifierModule
from dlpipe.models.components import MLP
from dlpipe.models.components.gan_nets import MlpDiscriminator, MlpGenerator
from dlpipe.models.components.vae_nets import MlpVae
from dlpipe.models.gan_module import GANModule
from dlpipe.models.model_file import read_model_file, write_model_file
from dlpipe.models.vae_module import VAEModule
from dlpipe.optim import optimizer_factory
from dlpipe.serving.errors import ServingError
from dlpipe.serving.sampling import load_sampler
from dlpipe.training import build_trainer
from dlpipe.training.fit import fit

REPO = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("src", "pipeline", "benchmarks", "scripts")
ADAM = ("adam", {"lr": 0.01})
PWNED = "dlpipe-weights-only-probe"


# --- the source: every load call says weights_only=True ----------------------------------------


def unsafe_load_calls(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, call) of each checkpoint load without a literal `weights_only=True`: torch.load,
    any `load_from_checkpoint`, and any call given a `ckpt_path` (Trainer.fit/validate/test)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        owner = (
            func.value.id
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            else ""
        )
        keywords = {k.arg: k.value for k in node.keywords}
        loads = (owner == "torch" and name == "load") or name == "load_from_checkpoint"
        if not (loads or "ckpt_path" in keywords):
            continue
        flag = keywords.get("weights_only")
        if not (isinstance(flag, ast.Constant) and flag.value is True):
            found.append((node.lineno, ast.unparse(node)[:80]))
    return found


def test_the_scanner_catches_a_load_without_the_flag() -> None:
    bad = ast.parse(
        "torch.load(p)\n"
        "torch.load(p, weights_only=False)\n"
        "M.load_from_checkpoint(p, map_location='cpu')\n"
        "trainer.fit(m, ckpt_path='last')\n"
        "torch.load(p, weights_only=True)\n"
        "trainer.validate(m, ckpt_path=b, weights_only=True)\n"
    )
    assert [line for line, _ in unsafe_load_calls(bad)] == [1, 2, 3, 4]


def test_every_load_call_in_the_source_passes_weights_only_true() -> None:
    files = [p for d in SOURCE_DIRS for p in sorted((REPO / d).rglob("*.py"))]
    assert len(files) > 100  # the scan really read the project
    unsafe = [
        f"{path.relative_to(REPO)}:{line}: {call}"
        for path in files
        for line, call in unsafe_load_calls(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not unsafe, "checkpoint loads without weights_only=True:\n" + "\n".join(unsafe)


# --- the files: each kind loads with weights_only=True -----------------------------------------


class _RunsCode:
    """Unpickling this calls os.getenv, standing in for any callable a hostile file could name."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.getenv, (PWNED,))


def _classifier_checkpoint(folder: Path, training: TrainingConfig) -> Path:
    torch.manual_seed(0)
    x, y = torch.rand(16, 6), torch.randint(0, 2, (16,))
    module = ClassifierModule(MLP(6, (4,), 2), optimizer_factory(*ADAM))
    data = PairsDataModule(TensorPairs(x, y), TensorPairs(x, y), batch_size=8, seed=0)
    # fit() itself restores the best checkpoint through trainer.validate(weights_only=True).
    fit(module, data, training, seed=0, max_epochs=1, checkpoint_dir=folder, history_keys=())
    # A resume from the full checkpoint (optimizer, loops, callbacks) works weights-only too.
    trainer = build_trainer(training, seed=0, max_epochs=2, checkpoint_dir=folder)
    trainer.fit(module, datamodule=data, ckpt_path=folder / "last.ckpt", weights_only=True)
    assert trainer.current_epoch == 2
    return folder / "best.ckpt"


def _vae_checkpoint(folder: Path, training: TrainingConfig) -> Path:
    torch.manual_seed(0)
    module = VAEModule(MlpVae(8, (8,), 2), optimizer_factory(*ADAM), lr_schedule="cosine")
    images = TensorPairs(torch.rand(16, 64), torch.zeros(16, dtype=torch.long))
    data = PairsDataModule(images, images, batch_size=8, seed=0)
    fit(module, data, training, seed=0, max_epochs=1, checkpoint_dir=folder, history_keys=())
    return folder / "best.ckpt"


def _gan_checkpoint(folder: Path, training: TrainingConfig) -> Path:
    torch.manual_seed(0)
    module = GANModule(
        MlpGenerator(4, (8,)),
        MlpDiscriminator((8,)),
        optimizer_factory("adam", {"lr": 0.01, "beta1": 0.5}),
        optimizer_factory("adam", {"lr": 0.01, "beta1": 0.5}),
        grid_size=4,
    )
    images = TensorPairs(torch.rand(16, 784), torch.zeros(16, dtype=torch.long))
    trainer = build_trainer(training, seed=0, max_epochs=1, checkpoint_dir=None)
    trainer.fit(module, train_dataloaders=tensor_loader(images, 8, True, 0))
    trainer.save_checkpoint(folder / "gan.ckpt")
    return folder / "gan.ckpt"


@pytest.mark.filterwarnings("ignore:Checkpoint directory .* exists and is not empty")
def test_lightning_checkpoints_load_with_weights_only(
    tmp_path: Path, cpu_training: TrainingConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With this set, torch unpickles anything when a caller leaves weights_only unset: only an
    # explicit weights_only=True keeps the loads below safe.
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    classifier = _classifier_checkpoint(tmp_path / "classifier", cpu_training)
    vae = _vae_checkpoint(tmp_path / "vae", cpu_training)
    gan = _gan_checkpoint(tmp_path / "gan", cpu_training)
    for path in (classifier, vae, gan):
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        assert {"state_dict", "hyper_parameters", "loops"} <= set(checkpoint), path
        assert torch.serialization.get_unsafe_globals_in_checkpoint(path) == [], path
    assert {"optimizer_states", "callbacks"} <= set(torch.load(classifier, weights_only=True))
    assert load_sampler("vae", vae).sample(2).shape == (2, 8, 8)
    assert load_sampler("gan", gan).sample(2).shape == (2, 28, 28)

    # The same checkpoint with one hostile object inside is refused, not executed.
    hostile = tmp_path / "hostile.ckpt"
    checkpoint = torch.load(vae, map_location="cpu", weights_only=True)
    torch.save({**checkpoint, "callbacks": {"probe": _RunsCode()}}, hostile)
    with pytest.raises(ServingError, match=r"hostile\.ckpt: not a vae checkpoint.*[Ww]eights"):
        load_sampler("vae", hostile)


def test_model_files_load_with_weights_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    network = MLP(6, (4,), 2)
    path = tmp_path / "model.pt"
    payload = {"meta": {"classes": ["a", "b"]}, "state_dict": network.state_dict()}
    write_model_file(path, "dlpipe.probe", 1, payload)
    read = read_model_file(path, "dlpipe.probe", 1, "probe", ValueError)
    for key, tensor in network.state_dict().items():
        assert torch.equal(read["state_dict"][key], tensor), key

    write_model_file(path, "dlpipe.probe", 1, {"meta": _RunsCode()})
    with pytest.raises(ValueError, match=r"model\.pt is not a readable torch file.*[Ww]eights"):
        read_model_file(path, "dlpipe.probe", 1, "probe", ValueError)
