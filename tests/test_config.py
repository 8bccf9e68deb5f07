"""params.yaml -> frozen pydantic models; every mistake at once, each naming its dotted key."""

from __future__ import annotations

import copy
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from dlpipe.config import (
    AUTOENCODER_NETWORK_KEYS,
    OPTIMIZER_HYPERPARAMETERS,
    AutoencoderNetwork,
    ConfigError,
    FaceExtractConfig,
    FaceSplitConfig,
    Params,
    TrainingConfig,
    as_plain,
    build,
    check_params_file,
    load_params,
    overrides,
    sections_data,
    sections_training,
)
from dlpipe.config.optimizers import OptimizerName
from dlpipe.config.overrides import apply_override, flow, merge, override_set_args

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def project_raw() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def raw(project_raw: dict) -> dict:
    return copy.deepcopy(project_raw)


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _set(raw: dict, dotted: str, value: Any) -> dict:
    *parents, last = dotted.split(".")
    node = raw
    for key in parents:
        node = node[key]
    node[last] = value
    return raw


def _errors(tmp_path: Path, raw: dict) -> list[str]:
    """check_params_file's lines without the leading path."""
    path = _write(tmp_path, raw)
    lines = check_params_file(path)
    assert all(line.startswith(f"{path}: ") for line in lines)
    return [line.removeprefix(f"{path}: ") for line in lines]


# --- the project's file -----------------------------------------------------------------------


def test_project_params_load_into_frozen_models() -> None:
    params = load_params(ROOT / "params.yaml")
    assert isinstance(params, Params)
    assert check_params_file(ROOT / "params.yaml") == []
    assert isinstance(params.compare_optimizers.hidden_sizes, tuple)
    assert params.face_cnn.augment.flip is True
    with pytest.raises(ValidationError, match="frozen"):
        params.seed = 1  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        params.face_cnn.augment.flip = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        params.compare_optimizers.optimizers["sgd"]["lr"] = 1.0  # type: ignore[index]
    with pytest.raises(TypeError):
        params.face_crawl.start_urls["ada"] = ()  # type: ignore[index]


def test_maps_keep_the_yaml_order(project_raw: dict) -> None:
    params = load_params(ROOT / "params.yaml")
    assert list(params.recommender.autoencoders) == list(project_raw["recommender"]["autoencoders"])
    assert list(params.compare_optimizers.optimizers) == list(
        project_raw["compare_optimizers"]["optimizers"]
    )
    assert list(params.stocks.pypi) == list(project_raw["stocks"]["pypi"])


def test_loading_is_quick_and_needs_no_torch() -> None:
    code = (
        "import sys, time; t = time.perf_counter(); from dlpipe.config import load_params; "
        "load_params(); assert 'torch' not in sys.modules, 'config imported torch'; "
        "print(time.perf_counter() - t)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) < 2.0


# --- every mistake, each named ----------------------------------------------------------------


def test_five_mistakes_are_all_reported(tmp_path: Path, raw: dict) -> None:
    _set(raw, "stock_lstm.val_fraction", 1.5)  # out of range
    _set(raw, "recommender.autoencoders.deep.network.hiden", [512])  # typo in a nested map
    _set(raw, "compare_optimizers.epochs", "three")  # wrong type
    _set(raw, "trainng", {})  # unknown top-level key
    _set(raw, "face_extract.color", "blue")  # bad choice
    path = _write(tmp_path, raw)
    with pytest.raises(ConfigError) as caught:
        load_params(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert message.splitlines() == check_params_file(path)
    assert sorted(_errors(tmp_path, raw)) == sorted(
        [
            "stock_lstm.val_fraction: must be < 1 (got 1.5)",
            "recommender.autoencoders.deep.network.hiden: unknown key (did you mean 'hidden'?)",
            "compare_optimizers.epochs: expected an integer, got string 'three'",
            "trainng: unknown key (did you mean 'training'?)",
            "face_extract.color: must be one of 'grey', 'rgb' (got 'blue')",
        ]
    )


@pytest.mark.parametrize(
    ("dotted", "value", "expected"),
    [
        ("compare_optimizers.epochz", 3, "compare_optimizers.epochz: unknown key"),
        ("recommender.mf.n_factor", 3, "recommender.mf.n_factor: unknown key"),
        ("recommender.biases.reg", 1.0, "recommender.biases.reg: unknown key"),
        ("seed", True, "seed: expected an integer, got boolean true"),
        ("face_cnn.batch_size", "16", "face_cnn.batch_size: expected an integer"),
        ("face_cnn.batch_size", 16.0, "face_cnn.batch_size: expected an integer"),
        (
            "training.devices",
            1.5,
            'training.devices: must be an integer >= 1, -1 (every device) or "auto" (got 1.5)',
        ),
        ("training", [1], "training: expected a mapping, got a list"),
        ("mnist.source", "ftp", "mnist.source: must be one of 'pypi', 'url', 'folder' (got 'ftp')"),
        ("stocks.pypi.aapl.ticker", 3, "stocks.pypi.aapl.ticker: expected a string"),
        ("mnist.pypi.sha256", "abc", "mnist.pypi.sha256: must be a sha256"),
        ("face_cnn.augment.shift", float("nan"), "face_cnn.augment.shift: must be a finite"),
        (
            "compare_optimizers.optimizers.adam.lr",
            "fast",
            "compare_optimizers.optimizers.adam.lr: expected a number",
        ),
        (
            "trace_optimizers.surfaces.beale.start",
            [1.0],
            "trace_optimizers.surfaces.beale.start: expected 2 items, got 1",
        ),
        (
            "trace_optimizers.surfaces.bealee",
            {"start": [1.0, 1.5], "steps": 10, "tolerance": 0.01},
            "trace_optimizers.surfaces.bealee: must be one of 'beale', 'saddle'",
        ),
    ],
)
def test_a_mistake_names_its_key(
    tmp_path: Path, raw: dict, dotted: str, value: Any, expected: str
) -> None:
    errors = _errors(tmp_path, _set(raw, dotted, value))
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_missing_key_is_named(tmp_path: Path, raw: dict) -> None:
    del raw["training"]["deterministic"]
    assert _errors(tmp_path, raw) == ["training.deterministic: missing key"]


def test_int_is_accepted_where_float_is_expected(tmp_path: Path, raw: dict) -> None:
    _set(raw, "compare_optimizers.optimizers.sgd.lr", 1)
    params = load_params(_write(tmp_path, raw))
    assert params.compare_optimizers.optimizers["sgd"]["lr"] == 1.0
    assert isinstance(params.compare_optimizers.optimizers["sgd"]["lr"], float)


def test_missing_and_malformed_files_say_which(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match="not found"):
        load_params(missing)
    assert check_params_file(missing) == [f"{missing}: not found; run from the project root"]
    bad = tmp_path / "params.yaml"
    bad.write_text("seed: [1,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_params(bad)
    (line,) = check_params_file(bad)
    assert line.startswith(f"{bad}: not valid YAML (line 2, column 1)") and "\n" not in line
    bad.write_text("", encoding="utf-8")
    assert check_params_file(bad) == [f"{bad}: <top level>: expected a mapping, got null"]


# --- ranges -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dotted", "value", "expected"),
    [
        ("stock_lstm.val_fraction", 0.0, "must be > 0"),
        ("stock_lstm.test_fraction", 1.0, "must be < 1"),
        ("recommender.test_fraction", 0.0, "must be > 0"),
        ("recommender.val_fraction", 1.0, "must be < 1"),
        ("face_split.val_fraction", 0.0, "must be > 0"),
        ("compare_optimizers.dropout", 1.0, "must be < 1"),
        ("recommender.autoencoders.denoising.network.corruption", -0.1, "must be >= 0"),
        ("recommender.autoencoders.deep.network.dropout", 1.0, "must be < 1"),
        ("recommender.autoencoders.sparse.sparsity_target", 0.0, "must be > 0"),
        ("compare_optimizers.epochs", 0, "must be >= 1"),
        ("stock_lstm.window", 0, "must be >= 1"),
        ("stock_lstm.patience", -1, "must be >= 0"),
        ("face_cnn.batch_size", 0, "must be >= 1"),
        ("face_cnn.channels", [16, 0], "must be >= 1"),
        ("recommender.k", 0, "must be >= 1"),
        ("recommender.fold", 6, "must be <= 5"),
        ("recommender.fold", 0, "must be >= 1"),
        ("recommender.mf.lr", 0.0, "must be > 0"),
        ("recommender.biases.n_iter", 0, "must be >= 1"),
        ("eigenfaces.cv_folds", 1, "must be >= 2"),
        ("eigenfaces.C", [], "needs at least 1 item"),
        ("face_extract.scale_factor", 1.0, "must be > 1"),
        ("face_extract.workers", -1, "must be >= 0"),
        ("face_extract.hog_upsample", -1, "must be >= 0"),
        ("face_extract.detector", "mtcnn", "must be one of 'haar', 'hog'"),
        ("face_crawl.timeout_s", 0, "must be > 0"),
        ("training.cpu_threads", -1, "must be >= 0"),
        ("seed", -1, "must be >= 0"),
    ],
)
def test_out_of_range_values_are_refused(
    tmp_path: Path, raw: dict, dotted: str, value: Any, expected: str
) -> None:
    errors = _errors(tmp_path, _set(raw, dotted, value))
    assert len(errors) == 1 and errors[0].startswith(f"{dotted}"), errors
    assert expected in errors[0], errors


@pytest.mark.parametrize(
    ("dotted", "value"),
    [
        ("compare_optimizers.train_limit", 0),  # all training images
        ("training.cpu_threads", 0),  # torch's default
        ("training.num_workers", 0),
        ("face_crawl.max_pages", 0),  # no limit
        ("face_crawl.retries", 0),
        ("face_crawl.download_delay_s", 0),
        ("face_extract.workers", 0),  # one per core
        ("face_extract.detector", "hog"),  # dlib's HOG detector
        ("face_extract.hog_upsample", 0),  # no doubling
        ("face_extract.margin", 0.0),
        ("stock_lstm.walk_forward_windows", 0),  # no refits
        ("stock_lstm.patience", 0),
        ("stock_lstm.head_sizes", []),
        ("stock_lstm.features", ["open", "high", "low", "close", "volume"]),
        ("recommender.min_item_ratings", 0),
        ("recommender.fold", 5),
        ("compare_optimizers.dropout", 0.0),
        ("training.devices", 2),
        ("movielens.url.sha256", "0" * 64),
    ],
)
def test_documented_edge_values_are_accepted(
    tmp_path: Path, raw: dict, dotted: str, value: Any
) -> None:
    assert _errors(tmp_path, _set(raw, dotted, value)) == []


# --- rules across fields ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"stock_lstm.val_fraction": 0.5, "stock_lstm.test_fraction": 0.5},
            ["stock_lstm.test_fraction: val_fraction + test_fraction must be < 1 (got 1)"],
        ),
        (
            {"face_split.val_fraction": 0.5, "face_split.test_fraction": 0.6},
            ["face_split.test_fraction: val_fraction + test_fraction must be < 1 (got 1.1)"],
        ),
        (
            {"face_split.test_fraction": 0.0},
            ["face_split.test_fraction: must be > 0 with source 'stratified'"],
        ),
        ({"stock_lstm.features": []}, ["stock_lstm.features: needs at least 1 item(s) (got 0)"]),
        (
            {"stock_lstm.features": ["close", "price"]},
            ["stock_lstm.features[1]: must be one of 'open', 'high', 'low', 'close', 'volume'"],
        ),
        (
            {"stock_lstm.features": ["close", "open", "close"]},
            ["stock_lstm.features[2]: 'close' is listed twice"],
        ),
        (
            {"recommender.ranking_min_ratings": 10},
            ["recommender.ranking_min_ratings: must be > ranking_holdout (10)"],
        ),
        (
            {"face_cnn.channels": [8] * 7},
            ["face_cnn.channels: 7 pooling blocks need crops of at least 128 pixels"],
        ),
        (
            {"recommender.autoencoders.sparse.network": {"activation": "relu"}},
            ["recommender.autoencoders.sparse.network.activation: not used by kind 'sparse'"],
        ),
        (
            {"recommender.autoencoders.deep.kind": "shallow"},
            ["recommender.autoencoders.deep.kind: must be one of 'stacked'"],
        ),
        (
            {"stock_lstm.optimizer_hyper": {"lr": 0.01, "momentum": 0.9}},
            ["stock_lstm.optimizer_hyper.momentum: unknown hyperparameter for optimizer 'adam'"],
        ),
        (
            {"face_cnn.optimizer": "sgd", "face_cnn.optimizer_hyper": {"momentum": 0.9}},
            [
                "face_cnn.optimizer_hyper.momentum: unknown hyperparameter for optimizer 'sgd'",
                "face_cnn.optimizer_hyper.lr: missing: optimizer 'sgd' needs it",
            ],
        ),
        (
            {"stock_lstm.optimizer": "adamw"},
            ["stock_lstm.optimizer: must be one of 'sgd'"],
        ),
        (
            {"compare_optimizers.optimizers.adam": {"lr": 0.0, "betas": 0.9}},
            [
                "compare_optimizers.optimizers.adam.betas: unknown hyperparameter",
                "compare_optimizers.optimizers.adam.lr: must be > 0 (got 0.0)",
            ],
        ),
        (
            {"trace_optimizers.optimizers.adamw": {"lr": 0.1}},
            ["trace_optimizers.optimizers.adamw: must be one of 'sgd'"],
        ),
        (
            {"compare_optimizers.optimizers": {}},
            ["compare_optimizers.optimizers: must name at least one optimizer"],
        ),
        (
            {"face_embedding.chip_size": 160},
            ["face_embedding.chip_size: must be 150: dlib's ResNet takes 150 x 150 chips only"],
        ),
    ],
)
def test_rules_across_fields(
    tmp_path: Path, raw: dict, changes: dict[str, Any], expected: list[str]
) -> None:
    for dotted, value in changes.items():
        _set(raw, dotted, value)
    errors = _errors(tmp_path, raw)
    assert len(errors) == len(expected), errors
    for error, start in zip(errors, expected, strict=True):
        assert error.startswith(start), errors


def test_incomplete_idx_files_are_named(tmp_path: Path, raw: dict) -> None:
    del raw["mnist"]["url"]["files"]["test_labels"]
    assert _errors(tmp_path, raw) == ["mnist.url.files.test_labels: missing key"]


def test_stages_keep_reporting_what_only_they_need(tmp_path: Path, raw: dict) -> None:
    """A source with nothing to fetch or crawl is the stage's to report (all others still run)."""
    _set(raw, "movielens.source", "url")  # sha256 "": fetch_movielens explains how to pin it
    _set(raw, "stocks.source", "csv")  # csv.path "": fetch_stock_prices asks for it
    _set(raw, "face_crawl.source", "urls")  # start_urls {}: the crawl records a skip
    _set(raw, "face_split.source", "file")
    _set(raw, "face_split.test_fraction", 0.0)  # unused with `file`
    assert _errors(tmp_path, raw) == []


# --- building, replacing, plain values --------------------------------------------------------


def test_keyword_and_positional_construction_validate() -> None:
    good = TrainingConfig("cpu", 1, 1, False, False, 0, 10)
    assert good == TrainingConfig(
        accelerator="cpu",
        devices=1,
        cpu_threads=1,
        deterministic=False,
        progress_bar=False,
        num_workers=0,
        log_every_n_steps=10,
    )
    with pytest.raises(ValidationError, match="log_every_n_steps"):
        TrainingConfig("cpu", 1, 1, False, False, 0, 0)
    with pytest.raises(TypeError, match="twice"):
        TrainingConfig("cpu", accelerator="gpu")  # type: ignore[misc]
    assert FaceSplitConfig("file", 0.2, 0.0, "").test_fraction == 0.0


def test_replace_validates_and_keeps_the_rest() -> None:
    params = load_params(ROOT / "params.yaml")
    cfg = params.face_extract.replace(workers=2, color="rgb")
    assert (cfg.workers, cfg.color, cfg.size) == (2, "rgb", params.face_extract.size)
    with pytest.raises(ValidationError, match="workers"):
        params.face_extract.replace(workers=-1)
    crawl = params.face_crawl.replace(start_urls={"ada": ("https://example.org/",)})
    assert dict(crawl.start_urls) == {"ada": ("https://example.org/",)}
    with pytest.raises(TypeError):
        crawl.start_urls["bob"] = ()  # type: ignore[index]
    deep = params.recommender.autoencoders["deep"]
    assert deep.replace(max_epochs=3).network.kwargs() == deep.network.kwargs()


def test_call_sites_get_exactly_the_yaml_values(project_raw: dict) -> None:
    """What `build_autoencoder`, `Biases` and `MatrixFactorization` receive: only the keys set,
    with the YAML's values and types (a tuple where YAML has a list)."""
    params = load_params(ROOT / "params.yaml")
    raw_runs = project_raw["recommender"]["autoencoders"]
    for name, run in params.recommender.autoencoders.items():
        kwargs = run.network.kwargs()
        expected = {
            k: tuple(v) if isinstance(v, list) else v for k, v in raw_runs[name]["network"].items()
        }
        assert kwargs == expected
        assert [type(v) for v in kwargs.values()] == [type(v) for v in expected.values()]
    for section in ("biases", "mf"):
        kwargs = getattr(params.recommender, section).kwargs()
        expected = project_raw["recommender"][section]
        assert kwargs == expected
        assert {k: type(v) for k, v in kwargs.items()} == {k: type(v) for k, v in expected.items()}
    assert AutoencoderNetwork().kwargs() == {}
    assert AutoencoderNetwork(hidden=None, dropout=0.1).kwargs() == {"dropout": 0.1}


def test_as_plain_is_the_yaml_data(project_raw: dict, tmp_path: Path) -> None:
    params = load_params(ROOT / "params.yaml")
    plain = as_plain(params)
    assert plain == project_raw  # lists for tuples, only the network keys set, YAML order
    # only the key params.yaml sets (max_hidden), not the unset hidden/activation/...
    assert list(plain["recommender"]["autoencoders"]["sparse"]["network"]) == ["max_hidden"]
    assert load_params(_write(tmp_path, plain)) == params


def test_build_names_where_the_data_came_from(project_raw: dict) -> None:
    extract = dict(project_raw["face_extract"], margin=-1.0, colour="grey")
    with pytest.raises(ConfigError) as caught:
        build(sections_data.FaceExtractConfig, extract, "model.pt: extract")
    assert str(caught.value).splitlines() == [
        "model.pt: extract.margin: must be >= 0 (got -1.0)",
        "model.pt: extract.colour: unknown key (did you mean 'color'?)",
    ]


# --- tables that mirror code config must not import -------------------------------------------


def test_optimizer_table_matches_dlpipe_optim() -> None:
    from dlpipe.optim.factory import OPTIMIZERS, _hyperparameters

    assert list(OPTIMIZER_HYPERPARAMETERS) == list(OPTIMIZERS)
    assert typing.get_args(OptimizerName) == tuple(OPTIMIZERS)
    for name, cls in OPTIMIZERS.items():
        accepted, required = _hyperparameters(cls)
        assert OPTIMIZER_HYPERPARAMETERS[name].accepted == tuple(accepted), name
        assert OPTIMIZER_HYPERPARAMETERS[name].required == tuple(required), name


def test_choice_lists_match_the_code_that_uses_them() -> None:
    from dlpipe.data.stock_windows import TARGETS
    from dlpipe.datasets.mnist import IDX_KEYS
    from dlpipe.models.components.autoencoders import (
        ACTIVATIONS,
        AUTOENCODER_KINDS,
        _presets,
    )
    from dlpipe.optim.surfaces import SURFACES

    assert typing.get_args(sections_training.AutoencoderKind) == AUTOENCODER_KINDS
    assert typing.get_args(sections_training.Activation) == ACTIVATIONS
    presets = _presets(10)
    assert {kind: tuple(keys) for kind, keys in presets.items()} == dict(AUTOENCODER_NETWORK_KEYS)
    assert set(typing.get_args(sections_training.SurfaceName)) == set(SURFACES)
    assert typing.get_args(sections_data.IdxKey) == IDX_KEYS
    target = typing.get_type_hints(sections_training.StockLstmConfig)["target"]
    assert typing.get_args(target) == TARGETS


# --- the training section: devices, nodes, strategy, precision --------------------------------


@pytest.mark.parametrize(
    ("dotted", "value", "expected"),
    [
        ("training.devices", 0, "(got 0)"),
        ("training.devices", -2, "(got -2)"),
        ("training.devices", "all", "(got 'all')"),
        ("training.devices", True, "(got True)"),
        ("training.devices", [0, 1], "(got [0, 1])"),
        ("training.num_nodes", 0, "must be >= 1 (got 0)"),
        ("training.strategy", "ddp_spawn", "must be one of 'auto', 'ddp',"),
        ("training.precision", 16, "must be one of '32-true', 'bf16-mixed',"),
        ("training.precision", "fp16", "(got 'fp16')"),
    ],
)
def test_training_devices_strategy_and_precision_are_checked(
    tmp_path: Path, raw: dict, dotted: str, value: Any, expected: str
) -> None:
    errors = _errors(tmp_path, _set(raw, dotted, value))
    assert len(errors) == 1 and errors[0].startswith(f"{dotted}: "), errors
    assert expected in errors[0], errors


@pytest.mark.parametrize(
    ("dotted", "value"),
    [
        ("training.devices", -1),  # every device
        ("training.devices", "auto"),
        ("training.devices", 8),
        ("training.num_nodes", 4),
        ("training.strategy", "ddp"),
        ("training.strategy", "ddp_find_unused_parameters_true"),
        ("training.precision", "bf16-mixed"),
        ("training.precision", "16-mixed"),
        ("training.precision", "64-true"),
    ],
)
def test_training_choices_are_accepted(tmp_path: Path, raw: dict, dotted: str, value: Any) -> None:
    assert _errors(tmp_path, _set(raw, dotted, value)) == []


def test_project_trains_on_one_device_at_lightnings_default_precision() -> None:
    training = load_params(ROOT / "params.yaml").training
    assert (training.devices, training.num_nodes) == (1, 1)
    assert (training.strategy, training.precision) == ("auto", "32-true")


def test_training_settings_without_the_new_keys_get_lightnings_defaults(raw: dict) -> None:
    """Older params files and settings saved before strategy/precision/num_nodes still load."""
    for key in ("strategy", "precision", "num_nodes"):
        del raw["training"][key]
    training = build(TrainingConfig, raw["training"], "training")
    assert (training.strategy, training.precision, training.num_nodes) == ("auto", "32-true", 1)
    assert TrainingConfig("cpu", 1, 1, False, False, 0, 10).precision == "32-true"


def test_training_choices_are_lightnings() -> None:
    from lightning.fabric.plugins.precision.precision import _PRECISION_INPUT_STR
    from lightning.pytorch.strategies import StrategyRegistry

    assert set(typing.get_args(sections_training.Precision)) <= set(
        typing.get_args(_PRECISION_INPUT_STR)
    )
    strategies = set(typing.get_args(sections_training.Strategy)) - {"auto"}
    assert strategies <= set(StrategyRegistry.available_strategies())


# --- params overrides (params.gpu.yaml) -------------------------------------------------------


def _override(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "params.override.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_the_gpu_profile_merges_onto_params_yaml(project_raw: dict) -> None:
    gpu = yaml.safe_load((ROOT / "params.gpu.yaml").read_text(encoding="utf-8"))
    text = apply_override(ROOT / "params.yaml", ROOT / "params.gpu.yaml")
    assert text.startswith("# yaml-language-server: $schema=docs/params.schema.json\n")
    merged = yaml.safe_load(text)
    assert Params.model_validate(merged).training.precision == gpu["training"]["precision"]
    assert merged["compare_optimizers"]["hidden_sizes"] == [1000, 1000]  # replaced, not appended
    assert (
        merged["compare_optimizers"]["optimizers"]
        == project_raw["compare_optimizers"]["optimizers"]
    )
    deep = merged["recommender"]["autoencoders"]["deep"]
    assert deep == {**project_raw["recommender"]["autoencoders"]["deep"], "max_epochs": 200}
    assert merged["training"]["deterministic"] == project_raw["training"]["deterministic"]
    untouched = set(project_raw) - set(gpu)
    assert {key: merged[key] for key in untouched} == {key: project_raw[key] for key in untouched}


def test_merge_follows_mappings_and_replaces_everything_else() -> None:
    base = {"a": {"b": [1, 2], "c": {"d": 1, "e": 2}}, "f": 3}
    changes = {"a": {"b": [9], "c": {"e": None}}, "g": {"h": 1}}
    assert merge(base, changes) == {
        "a": {"b": [9], "c": {"d": 1, "e": None}},
        "f": 3,
        "g": {"h": 1},
    }
    assert base == {"a": {"b": [1, 2], "c": {"d": 1, "e": 2}}, "f": 3}  # not changed


def test_an_override_with_mistakes_names_every_one(tmp_path: Path) -> None:
    override = _override(
        tmp_path,
        {
            "training": {"precison": "bf16-mixed", "devices": 0},
            "stock_lstm": {"hiden_size": 3},
            "face_cnn": {"channels": "wide"},
        },
    )
    with pytest.raises(ConfigError) as caught:
        apply_override(ROOT / "params.yaml", override)
    lines = str(caught.value).splitlines()
    assert all(line.startswith(f"{override}: ") for line in lines)
    assert sorted(line.removeprefix(f"{override}: ") for line in lines) == sorted(
        [
            "training.precison: unknown key (did you mean 'precision'?)",
            'training.devices: must be an integer >= 1, -1 (every device) or "auto" (got 0)',
            "stock_lstm.hiden_size: unknown key (did you mean 'hidden_size'?)",
            "face_cnn.channels: expected a list, got string 'wide'",
        ]
    )
    listed = _override(tmp_path, [1, 2])
    with pytest.raises(ConfigError, match="expected a mapping of params to change"):
        apply_override(ROOT / "params.yaml", listed)
    assert overrides.main(["check", str(override), "--base", str(ROOT / "params.yaml")]) == 1
    gpu = ROOT / "params.gpu.yaml"
    assert overrides.main(["check", str(gpu), "--base", str(ROOT / "params.yaml")]) == 0


def test_set_args_are_one_pair_per_leaf_in_flow_syntax(tmp_path: Path) -> None:
    override = _override(
        tmp_path,
        {
            "training": {"precision": "bf16-mixed", "devices": -1, "deterministic": False},
            "compare_optimizers": {"hidden_sizes": [1000, 1000], "dropout": 0.5},
            "face_crawl": {"user_agent": "a bot, v2", "start_urls": {}},
            "stocks": {"pypi": {"aapl": {"version": "2027.1", "ticker": None}}},
        },
    )
    assert override_set_args(override) == [
        "-S", "training.precision=bf16-mixed",
        "-S", "training.devices=-1",
        "-S", "training.deterministic=false",
        "-S", "compare_optimizers.hidden_sizes=[1000, 1000]",
        "-S", "compare_optimizers.dropout=0.5",
        "-S", 'face_crawl.user_agent="a bot, v2"',
        "-S", "face_crawl.start_urls={}",
        "-S", 'stocks.pypi.aapl.version="2027.1"',
        "-S", "stocks.pypi.aapl.ticker=null",
    ]  # fmt: skip
    assert flow(1e-7) == "1e-07"  # DVC writes it back so; params.yaml's reader takes a float
    with pytest.raises(ValueError, match=r"set it in params\.yaml instead"):
        flow('say "hi"')
    assert flow({"hidden": [5, 6], "activation": "relu"}) == "{hidden: [5, 6], activation: relu}"
    assert [flow(v) for v in ("32-true", "true", "null", "a/b.c")] == [
        '"32-true"',
        '"true"',
        '"null"',
        "a/b.c",
    ]


def test_exponent_floats_as_dvc_writes_them_load_as_floats(tmp_path: Path) -> None:
    """`dvc exp run -S ...eps=1e-7` leaves `eps: 1e-07` in params.yaml: YAML 1.1 (PyYAML) reads
    that as a string; the params reader takes YAML 1.2's view, a float."""
    from dvc.utils.hydra import apply_overrides

    params = tmp_path / "params.yaml"
    params.write_text((ROOT / "params.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    apply_overrides(params, ["compare_optimizers.optimizers.adam.eps=1e-7"])
    assert "eps: 1e-07" in params.read_text(encoding="utf-8")
    assert load_params(params).compare_optimizers.optimizers["adam"]["eps"] == 1e-7
    assert check_params_file(params) == []


def test_set_args_through_dvc_give_the_merged_params(tmp_path: Path) -> None:
    """What `dvc exp run -S ...` writes into params.yaml is what apply_override merges,
    for the GPU profile and for keys params.yaml lacks (added with `+`, whole)."""
    from dvc.utils.hydra import apply_overrides

    extra = {
        "recommender": {
            "autoencoders": {
                "tiny": {**yaml.safe_load(_NEW_RUN), "network": {"hidden": [8]}},
                "deep": {"network": {"dropout": 0.5}},
            }
        },
        "face_crawl": {"user_agent": "a bot, v2"},
    }
    for override in (ROOT / "params.gpu.yaml", _override(tmp_path, extra)):
        params = tmp_path / "params.yaml"
        params.write_text((ROOT / "params.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        args = override_set_args(override, base=ROOT / "params.yaml")
        assert args[::2] == ["-S"] * (len(args) // 2)
        apply_overrides(params, args[1::2])
        written = yaml.safe_load(params.read_text(encoding="utf-8"))
        assert written == yaml.safe_load(apply_override(ROOT / "params.yaml", override))
    assert "+recommender.autoencoders.tiny={kind: autorec," in " ".join(args)


_NEW_RUN = """
kind: autorec
rows: item
optimizer: adam
optimizer_hyper: {lr: 0.002}
max_epochs: 5
batch_size: 8
sparsity_weight: 0.0
sparsity_target: 0.05
l2: 0.001
"""


def test_class_names_must_be_distinct(tmp_path: Path) -> None:
    raw = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    errors = _errors(tmp_path, _set(raw, "mnist.class_names", ["Coat", "Bag", "Coat"]))
    assert errors == ["mnist.class_names: names must be distinct; repeated: Coat"], errors


def test_face_extract_settings_saved_before_the_detector_key_load_as_haar() -> None:
    """Model files store face_extract as a dict; older ones lack `detector`/`hog_upsample`."""
    stored = as_plain(load_params().face_extract)
    del stored["detector"], stored["hog_upsample"]
    loaded = FaceExtractConfig(**stored)
    assert (loaded.detector, loaded.hog_upsample) == ("haar", 1)
