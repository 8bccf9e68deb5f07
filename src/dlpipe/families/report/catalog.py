"""Which files the comparison report reads for each family, and how to describe them.

One entry per family: its reports folder, the stage that writes its metrics file, what the
headline's model and baseline are, the metrics to put side by side (and which way is better),
the significance test behind `p_value`/`verdict`, and its key figures. `report_inputs()` lists
every file the report reads, for build_report's dvc.yaml deps (a test compares them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from dlpipe.families.report.tuning import tuning_inputs


@dataclass(frozen=True)
class FigureSpec:
    file: str  # in the family's folder
    caption: str
    stage: str = ""  # the stage that draws it; the family's stage when empty
    wide: bool = False  # a wide strip or several panels: shown larger


@dataclass(frozen=True)
class FamilySpec:
    key: str  # also the key in anchors.yaml and the tuning folder's name
    title: str
    folder: str  # under reports/
    stage: str  # writes metrics.json
    model: str  # `({tag or details key})` is filled in from the run's tags or details.json
    baseline: str
    metrics: tuple[tuple[str, str], ...]  # (metric, "higher" | "lower")
    test: str
    figures: tuple[FigureSpec, ...]
    split: str = "test"  # the model's key prefix in metrics.json
    split_text: str = "the test split"  # what both were measured on, for the page's prose
    baseline_prefix: str = "baseline"
    skip_files: tuple[str, ...] = ()  # JSON files whose "skipped" says why a stage did nothing
    details: str = "details.json"  # "" for a family without one


FAMILIES: tuple[FamilySpec, ...] = (
    FamilySpec(
        key="optimizers",
        title="Optimizers (MNIST MLP)",
        folder="optimizers",
        stage="compare_optimizers",
        model="the best optimizer on validation ({dlpipe.best_model})",
        baseline="the baseline optimizer ({dlpipe.baseline})",
        metrics=(("accuracy", "higher"), ("loss", "lower")),
        test="McNemar's exact test on the test images",
        figures=(
            FigureSpec("loss_curves.png", "Training and validation loss per optimizer", wide=True),
        ),
        details="",  # its per-optimizer table is comparison.json (OPTIMIZER_FILES)
    ),
    FamilySpec(
        key="stock_lstm",
        title="Stock prices (next-day LSTM)",
        folder="stocks",
        stage="train_stock_lstm",
        model="LSTM",
        baseline="persistence (tomorrow = today)",
        metrics=(("rmse", "lower"), ("mae", "lower"), ("direction_accuracy", "higher")),
        test="Diebold-Mariano test on the test days",
        figures=(
            FigureSpec("forecast.png", "Forecasts on the test days", wide=True),
            FigureSpec("errors.png", "Forecast errors"),
        ),
    ),
    FamilySpec(
        key="recommender",
        title="Recommender (MovieLens 100k autoencoders)",
        folder="recommender",
        stage="train_recommender",
        model="the best autoencoder on validation ({dlpipe.best_model})",
        baseline="the best baseline on test ({dlpipe.baseline})",
        metrics=(("rmse", "lower"), ("ndcg_at_10", "higher")),
        test="Diebold-Mariano test on the squared errors of the test ratings",
        figures=(
            FigureSpec("learning_curves.png", "Autoencoders: masked RMSE per epoch", wide=True),
        ),
    ),
    FamilySpec(
        key="faces",
        title="Faces (five celebrities)",
        folder="faces",
        stage="train_face_cnn",
        model="pretrained embedding + linear classifier",
        baseline="the course's CNN",
        metrics=(("accuracy", "higher"), ("macro_f1", "higher")),
        test="McNemar's exact test on the test photos",
        figures=(
            FigureSpec("confusion_embedding.png", "Embedding model: test confusion matrix"),
            FigureSpec("confusion_cnn.png", "The course's CNN: test confusion matrix"),
            FigureSpec("embedding_map.png", "Test faces' embeddings (PCA)"),
        ),
        skip_files=(
            "crawl.json",
            "extract.json",
            "splits.json",
            "embed.json",
            "details.json",
        ),
    ),
    FamilySpec(
        key="classifiers",
        title="Classifiers (breast cancer, ANN vs classic models)",
        folder="classifiers",
        stage="compare_classifiers",
        model="ANN",
        baseline="the best classic model ({baseline})",
        metrics=(("roc_auc", "higher"), ("accuracy", "higher"), ("f1", "higher")),
        test="corrected resampled t-test over the CV folds",
        split="cv",
        split_text="the same repeated cross-validation folds",
        figures=(
            FigureSpec("roc.png", "ROC curves (out-of-fold)", wide=True),
            FigureSpec("cost_curve.png", "Expected cost over the threshold"),
        ),
    ),
    FamilySpec(
        key="judge",
        title="Digit classifier (the generative models' judge)",
        folder="generative/classifier",
        stage="train_digit_classifier",
        model="small CNN",
        baseline="the commonest class",
        metrics=(("accuracy", "higher"),),
        test="McNemar's exact test on the test images",
        figures=(),
    ),
    FamilySpec(
        key="vae",
        title="VAE (MNIST)",
        folder="generative/vae",
        stage="train_vae",
        model="this configuration",
        baseline="784-400-20, 10 epochs (our rerun of the PyTorch example)",
        metrics=(("neg_elbo", "lower"), ("recon", "lower"), ("kl", "lower")),
        test="paired t-test on the per-image negative ELBO",
        figures=(
            FigureSpec("samples.png", "Samples from the prior"),
            FigureSpec("reconstructions.png", "Test digits and their reconstructions", wide=True),
            FigureSpec("latent_map.png", "2-D latent map, coloured by digit"),
        ),
    ),
    FamilySpec(
        key="gan",
        title="GAN (MNIST)",
        folder="generative/gan",
        stage="train_gan",
        model="GAN samples",
        baseline="real test images",
        metrics=(
            ("inception_score", "higher"),
            ("frechet_distance", "lower"),
            ("classes_covered", "higher"),
        ),
        test="",
        split="samples",
        split_text="the judge's scores of 10,000 samples and of the real test set",
        baseline_prefix="real",
        figures=(
            FigureSpec("progress.gif", "The same noise through the generator, epoch by epoch"),
            FigureSpec("samples.png", "Samples after training"),
        ),
    ),
)

OPTIMIZER_FILES = ("optimizers/comparison.json", "optimizers/trace.json")
TRAJECTORIES = "optimizers/trajectories"  # trace_optimizers' folder of PNG + GIF per surface
SEARCH_FILES = ("classifiers/study/details.json", "classifiers/study/search.png")
SEARCH_STAGE = "study_ann"
PLACEHOLDER = re.compile(r"\s*\(\{([\w.]+)\}\)")


def family_inputs(spec: FamilySpec) -> tuple[str, ...]:
    """The family's files the report reads, relative to reports/."""
    names = ["metrics.json", spec.details, *(f.file for f in spec.figures), *spec.skip_files]
    return tuple(dict.fromkeys(f"{spec.folder}/{name}" for name in names if name))


def report_inputs(tuned: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Every path under reports/ that build_report reads; `tuned`: the families with tuning
    stages (their reports/tuning/<family> folders)."""
    paths = [p for spec in FAMILIES for p in family_inputs(spec)]
    paths += [*OPTIMIZER_FILES, TRAJECTORIES, *SEARCH_FILES]
    paths += [p for family in tuned for p in tuning_inputs(family)]
    return tuple(dict.fromkeys(paths))


def fill(text: str, values: Mapping[str, object]) -> str:
    """`"best ({dlpipe.best_model})"` -> `"best (adam)"`; the parenthesis goes when unknown."""

    def one(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return f" ({value})" if isinstance(value, str) and value else ""

    return PLACEHOLDER.sub(one, text)
