"""The stage runner: declared outputs only, all-or-nothing replacement, the skipped path, and
stage specs that agree with dvc.yaml."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml
from mlflow.tracking import MlflowClient

from dlpipe import stage as stage_module
from dlpipe.config import load_params
from dlpipe.stage import Skipped, Stage, StageSpec, run_stage, temporary_stage
from dlpipe.tracking import tracking_location
from test_dvc_deps import expand_foreach

ROOT = Path(__file__).resolve().parents[1]
SPEC = StageSpec(
    name="demo_stage",
    family="demo",
    params=("seed", "face_split.source"),
    outputs=("reports/demo/metrics.json", "models/demo/"),
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repo root with the real params.yaml, as DVC runs a stage (cwd = root)."""
    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    (tmp_path / "params.yaml").write_text(
        (ROOT / "params.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


def _write_both(stage: Stage) -> None:
    stage.out("reports/demo/metrics.json").write_text('{"a": 1}\n', encoding="utf-8")
    (stage.out("models/demo") / "model.bin").write_bytes(b"weights")


def test_outputs_land_and_the_run_is_finished_with_params_and_artifacts(project: Path) -> None:
    run_stage(SPEC, _write_both)
    assert (project / "reports/demo/metrics.json").read_text() == '{"a": 1}\n'
    assert (project / "models/demo/model.bin").read_bytes() == b"weights"
    assert not [p for p in project.rglob("*.tmp*")], "temporary folders left behind"
    client = MlflowClient(tracking_location(project).uri)
    (run,) = client.search_runs([client.get_experiment_by_name("demo").experiment_id])
    assert run.info.status == "FINISHED"
    assert run.data.params["seed"] == "42"
    assert run.data.params["face_split.source"] == "stratified"
    assert run.data.tags["dlpipe.dvc_stage"] == "demo_stage"
    logged = {a.path for a in client.list_artifacts(run.info.run_id, "demo")}
    assert logged == {"demo/metrics.json"}
    assert [a.path for a in client.list_artifacts(run.info.run_id, "model")] == ["model/model.bin"]


def test_a_failing_body_leaves_the_previous_outputs_whole(project: Path) -> None:
    run_stage(SPEC, _write_both)

    def half_then_crash(stage: Stage) -> None:
        stage.out("reports/demo/metrics.json").write_text("{}\n", encoding="utf-8")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        run_stage(SPEC, half_then_crash)
    assert (project / "reports/demo/metrics.json").read_text() == '{"a": 1}\n'
    assert (project / "models/demo/model.bin").exists()
    assert not [p for p in project.rglob("*.tmp*")]
    client = MlflowClient(tracking_location(project).uri)
    runs = client.search_runs([client.get_experiment_by_name("demo").experiment_id])
    assert sorted(r.info.status for r in runs) == ["FAILED", "FINISHED"]


def test_an_undeclared_or_unwritten_output_is_an_error_naming_it(project: Path) -> None:
    def stray(stage: Stage) -> None:
        stage.out("reports/demo/other.json")

    with pytest.raises(KeyError, match=r"reports/demo/other.json.*not a declared output"):
        run_stage(SPEC, stray)

    def forgets_one(stage: Stage) -> None:
        stage.out("reports/demo/metrics.json").write_text("{}\n", encoding="utf-8")

    with pytest.raises(RuntimeError, match=r"did not write.*models/demo"):
        run_stage(SPEC, forgets_one)
    assert not (project / "reports/demo/metrics.json").exists()


def test_a_skipping_body_still_commits_its_outputs_and_tags_the_run(project: Path) -> None:
    def skip(stage: Stage) -> None:
        _write_both(stage)
        raise Skipped("no images: nothing to do")

    run_stage(SPEC, skip)
    assert (project / "reports/demo/metrics.json").exists()
    client = MlflowClient(tracking_location(project).uri)
    (run,) = client.search_runs([client.get_experiment_by_name("demo").experiment_id])
    assert run.data.tags["dlpipe.skipped"] == "no images: nothing to do"
    assert run.info.status == "FINISHED"


def test_an_untracked_stage_opens_no_run(project: Path) -> None:
    spec = StageSpec("demo_fetch", "demo", ("seed",), ("reports/demo/metrics.json",), False)
    run_stage(spec, lambda s: s.out("reports/demo/metrics.json").write_text("{}\n"))
    client = MlflowClient(tracking_location(project).uri)
    assert client.get_experiment_by_name("demo") is None


def test_temporary_stage_commits_without_mlflow(tmp_path: Path) -> None:
    with temporary_stage(SPEC, load_params(ROOT / "params.yaml"), tmp_path) as stage:
        _write_both(stage)
    assert (tmp_path / "models/demo/model.bin").exists()


def _specs() -> dict[str, StageSpec]:
    """Each pipeline script's SPEC, read from its source (the scripts import heavy modules)."""
    specs = {}
    for script in sorted((ROOT / "pipeline").glob("*.py")):
        tree = ast.parse(script.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "SPEC":
                call = node.value
                assert isinstance(call, ast.Call)
                kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
                specs[script.stem] = StageSpec(**kwargs)
    return specs


def _dvc_outputs(stage: dict) -> set[str]:
    outputs = set()
    for kind in ("outs", "metrics", "plots"):
        for entry in stage.get(kind, []):
            outputs.add(next(iter(entry)) if isinstance(entry, dict) else entry)
    return outputs


def _foreach_specs() -> dict[str, StageSpec]:
    """The specs of dvc.yaml's `foreach` stages, one per key (`tune@stock_lstm`), from the
    functions their scripts call (these imports are heavy: this test pays once)."""
    from dlpipe.families.tuning.retrain import train_tuned_spec
    from dlpipe.families.tuning.tune import tune_spec

    makers = {"tune": tune_spec, "train_tuned": train_tuned_spec}
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    return {
        f"{name}@{key}": makers[name](key)
        for name, stage in stages.items()
        if "foreach" in stage
        for key in stage["foreach"]
    }


def test_every_stage_script_is_thin_and_its_spec_matches_dvc_yaml() -> None:
    raw = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    stages = expand_foreach(raw)
    specs = {**_specs(), **_foreach_specs()}
    assert set(specs) == set(stages), "one pipeline/<stage>.py with a SPEC per dvc.yaml stage"
    for name, spec in specs.items():
        base = name.split("@")[0]
        script = ROOT / "pipeline" / f"{base}.py"
        assert len(script.read_text(encoding="utf-8").splitlines()) <= 40, f"{script} > 40 lines"
        assert spec.name == name
        assert re.search(rf"pipeline/{base}\.py", stages[name]["cmd"])
        assert set(spec.output_paths()) == _dvc_outputs(stages[name]), name
        assert set(spec.params) == set(stages[name].get("params", [])), name


def test_lookup_reads_dotted_params() -> None:
    params = load_params(ROOT / "params.yaml")
    assert stage_module.lookup(params, "face_split.source") == params.face_split.source
    assert stage_module.lookup(params, "seed") == params.seed


def test_library_info_lines_stay_quiet_after_a_late_import() -> None:
    """A library that resets its own levels after the stage configured logging (mlflow.pytorch
    importing pytorch_lightning does) still cannot print its INFO lines through our handler."""
    import io
    import logging

    from dlpipe.stage import configure_logging

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.root.addHandler(handler)
    try:
        configure_logging()
        late = logging.getLogger("pytorch_lightning.utilities.rank_zero")
        late.setLevel(logging.INFO)
        late.info("Tip: install something")
        late.warning("a real warning")
        ours = logging.getLogger("dlpipe.example")
        ours.setLevel(logging.INFO)  # pytest may hold the root at WARNING
        ours.info("our progress line")
    finally:
        logging.root.removeHandler(handler)
    text = stream.getvalue()
    assert "Tip" not in text and "a real warning" in text and "our progress line" in text
