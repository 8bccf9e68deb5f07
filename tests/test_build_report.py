"""The build_report stage: gathering a fixture reports/ tree and real MLflow runs, its files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from dlpipe.config import load_params
from dlpipe.families.report.build import build_report
from dlpipe.families.report.catalog import FAMILIES, fill, report_inputs
from dlpipe.families.report.gather import gather_report
from dlpipe.families.report.tuning import read_tuning
from dlpipe.reporting.anchors import load_anchors
from dlpipe.stage import StageSpec, temporary_stage
from dlpipe.tracking import latest_stage_runs
from report_fixtures import NO_GALLERY, make_reports, make_runs, write_json
from test_dvc_deps import expand_foreach

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _no_env_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    root = tmp_path_factory.mktemp("project")
    make_reports(root)
    # mlflow.set_tracking_uri (an earlier test's) exports MLFLOW_TRACKING_URI: runs go to root.
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        yield root, make_runs(root)


def test_latest_stage_runs_are_the_last_finished_top_level_runs(project) -> None:
    root, shown = project
    runs = latest_stage_runs(root)
    assert {stage: run.run_id for stage, run in runs.items()} == shown
    run = runs["compare_optimizers"]
    assert run.status == "FINISHED"
    assert run.seconds is not None and run.seconds >= 0
    assert run.tags["dlpipe.best_model"] == "adam"
    assert runs["crawl_face_images"].tags["dlpipe.skipped"] == NO_GALLERY


def test_no_store_gives_no_runs_and_creates_none(tmp_path: Path) -> None:
    assert latest_stage_runs(tmp_path) == {}
    assert not (tmp_path / "mlruns").exists()


def test_the_report_gathers_every_state_a_family_can_be_in(project) -> None:
    root, shown = project
    report = gather_report(root / "reports", latest_stage_runs(root), load_anchors())
    families = {f.key: f for f in report.families}
    assert [f.key for f in report.families] == [spec.key for spec in FAMILIES]

    optimizers = families["optimizers"]
    assert optimizers.status == "ok"
    assert optimizers.model == "the best optimizer on validation (adam)"  # from the run's tags
    assert optimizers.verdict_words == "significantly better"
    accuracy = optimizers.rows[0]
    assert (accuracy.metric, accuracy.model, accuracy.baseline, accuracy.ahead) == (
        "accuracy",
        0.97,
        0.95,
        True,
    )
    assert optimizers.run.run_id == shown["compare_optimizers"]
    assert optimizers.run.url_path == (
        f"#/experiments/{optimizers.run.experiment_id}/runs/{shown['compare_optimizers']}"
    )
    assert [f.path for f in optimizers.figures] == ["optimizers/loss_curves.png"]
    assert optimizers.figures[0].run.run_id == shown["compare_optimizers"]

    stocks = families["stock_lstm"]
    assert stocks.verdict_words == "no significant difference"
    assert stocks.rows[0].ahead is True  # lower RMSE is better: 19.93 < 19.96
    assert stocks.missing_figures == ("stocks/errors.png",)
    assert stocks.figures[0].wide  # the forecast is a wide strip
    assert stocks.anchors[0].ours == 19.96  # persistence: baseline/rmse

    classifiers = families["classifiers"]
    assert classifiers.baseline == "the best classic model (svm_rbf)"  # from details.json
    assert classifiers.verdict_words == "significantly worse"
    svm = next(a for a in classifiers.anchors if a.name.startswith("RBF SVC"))
    assert (svm.published, svm.ours, svm.comparable) == (0.9957, 0.9958, True)
    random_forest = next(a for a in classifiers.anchors if a.name.startswith("random forest"))
    assert random_forest.ours is None  # not in this details.json: shown as a dash

    faces = families["faces"]
    assert (faces.status, faces.reason) == ("skipped", NO_GALLERY)
    recommender = families["recommender"]
    assert recommender.status == "missing"
    assert "dvc repro train_recommender" in recommender.reason

    skipped = {item.reason: item.what for item in report.skipped}
    assert skipped[NO_GALLERY] == (
        "Faces (five celebrities), faces/crawl.json, faces/extract.json, faces/details.json, "
        "stage crawl_face_images"
    )
    assert skipped["diverged: loss is nan at epoch 1"] == "optimizer rmsprop"


def test_optimizer_search_tuning_and_stage_times(project) -> None:
    root, shown = project
    report = gather_report(root / "reports", latest_stage_runs(root), load_anchors())
    opt = report.optimizers
    assert [r.name for r in opt.rows] == ["adam", "sgd", "rmsprop"]  # by validation accuracy
    assert opt.steps == {"beale": {"sgd": "did not converge", "adam": "453"}}
    assert [a.path for a in opt.animations] == ["optimizers/trajectories/beale.gif"]
    assert opt.animations[0].run.run_id == shown["trace_optimizers"]

    search = report.search
    assert [(r.strategy, r.best, r.best_params) for r in search.rows] == [
        ("manual", 0.996, "lr=0.003"),
        ("tpe", 0.9957, "lr=0.00668"),
    ]
    assert search.figures[0].path == "classifiers/study/search.png"

    tuning = {t.family: t for t in report.tuning}
    lstm = tuning["stock_lstm"]
    assert lstm.status == "tuned"
    assert (lstm.default_val, lstm.tuned_val, lstm.default_test, lstm.tuned_test) == (
        15.64,
        15.47,
        19.93,
        19.97,
    )
    assert (lstm.gain, lstm.kept_defaults) == (-0.04, False)  # the gain on the test split
    assert lstm.metric == "rmse (lower is better)"
    assert lstm.params == "stock_lstm.window=30, stock_lstm.dropout=0.0377"
    assert lstm.headline[:3] == (
        ("defaults (a study trial), val (rmse)", 15.64),
        ("best trial, val (rmse)", 15.47),
        ("trials complete", 5.0),
    )
    assert ("epochs not run (pruned trials)", 42.0) in lstm.headline
    assert ("seconds saved by pruning", 11.1) in lstm.headline  # from details.json
    assert lstm.figures[0].caption == "Optimisation history"
    assert lstm.run.run_id == shown["tune@stock_lstm"]
    assert tuning["faces"].status == "study only"
    assert tuning["gan"].status == "not tuned yet"

    times = [t.stage for t in report.stage_times]
    assert times[:2] == ["compare_optimizers", "trace_optimizers"]  # in the order they ran
    assert set(times) == set(shown)


def test_the_tuning_reader_survives_odd_files(tmp_path: Path) -> None:
    folder = tmp_path / "tuning" / "vae"
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text("not json", encoding="utf-8")
    write_json(folder / "tuned.json", ["a list"])
    assert read_tuning(tmp_path, "vae").status == "not tuned yet"
    write_json(
        folder / "tuned.json",
        {"val/default": 1.0, "val/tuned": 1.2, "note": "no gain", "kept": "defaults"},
    )
    result = read_tuning(tmp_path, "vae")  # flat keys, no direction: still read
    assert (result.status, result.default_val, result.tuned_val, result.note) == (
        "defaults kept",
        1.0,
        1.2,
        "no gain",
    )
    assert (result.kept_defaults, result.gain, result.metric) == (True, None, "")


def test_the_stage_writes_the_page_and_the_summary(project) -> None:
    root, shown = project
    spec = StageSpec("build_report", "report", (), ("reports/index.html", "reports/summary.md"))
    with temporary_stage(spec, load_params(ROOT / "params.yaml"), root) as stage:
        build_report(stage)
    page = (root / "reports/index.html").read_text(encoding="utf-8")
    summary = (root / "reports/summary.md").read_text(encoding="utf-8")
    assert shown["compare_optimizers"] in page
    assert 'src="optimizers/trajectories/beale.gif"' in page
    assert "| Optimizers (MNIST MLP) |" in summary
    assert NO_GALLERY in summary


def test_placeholders_fill_from_tags_or_disappear() -> None:
    assert fill("best ({dlpipe.best_model})", {"dlpipe.best_model": "adam"}) == "best (adam)"
    assert fill("best ({dlpipe.best_model})", {}) == "best"


def test_dvc_yaml_lists_every_file_the_report_reads() -> None:
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    deps = set(stages["build_report"]["deps"])
    tuned = _foreach(stages["tune"]["foreach"]) if "tune" in stages else ()
    missing = [f"reports/{p}" for p in report_inputs(tuned) if f"reports/{p}" not in deps]
    assert not missing, f"add to build_report's deps in dvc.yaml: {missing}"
    produced = {
        next(iter(out)) if isinstance(out, dict) else out
        for name, stage in expand_foreach(stages).items()
        if name != "build_report"
        for kind in ("outs", "metrics", "plots")
        for out in stage.get(kind, [])
    }
    for dep in sorted(d for d in deps if d.startswith("reports/")):
        assert any(dep == out or dep.startswith(f"{out}/") for out in produced) or any(
            out.startswith(f"{dep}/") for out in produced
        ), f"{dep}: no stage writes it (dvc repro would stop on a missing dependency)"


def _foreach(items: object) -> tuple[str, ...]:
    """A foreach list, the keys of a foreach mapping, or a `${params.key}` it refers to."""
    if isinstance(items, str):
        value: object = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
        for part in items.strip("${} ").split("."):
            value = value[part]  # type: ignore[index]
        items = value
    return tuple(items)  # type: ignore[arg-type]


def test_every_anchor_names_a_family_of_the_report() -> None:
    anchors = load_anchors()
    assert set(anchors) <= {spec.key for spec in FAMILIES}
    assert all(a.source and a.metric for entries in anchors.values() for a in entries)


def test_a_malformed_anchor_is_named(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text("vae:\n  - name: x\n    metric: nats\n    value: big\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"vae\[0\]: missing \['source', 'same_metric'"):
        load_anchors(path)
    path.write_text(
        "vae:\n  - {name: x, metric: m, value: big, source: s, same_metric: true, "
        "same_data: true}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"vae\[0\]: value must be a number"):
        load_anchors(path)
