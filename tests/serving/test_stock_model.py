"""The saved stock LSTM: a short real training run, the file round trip, and `dlpipe forecast`'s
next-day price, which must repeat the stage's own prediction for the same day."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from serving_helpers import (
    cpu_training,
    random_walk_prices,
    register_in,
    scratch_project,
    stock_cfg,
    write_prices,
)

from dlpipe import cli
from dlpipe.data.stock_windows import Scaler, build_dataset, split_chronological
from dlpipe.datasets.stocks import load_prices
from dlpipe.models.components.lstm import LSTMRegressor
from dlpipe.models.stock_model_io import StockModelError, load_stock_model, save_stock_model
from dlpipe.serving import ServingError
from dlpipe.serving.forecast import next_day_forecast
from dlpipe.serving.pyfunc import register_stock_model
from dlpipe.tracking import load_registered_model
from dlpipe.training.stock_forecast import forecast

SCALAR = Scaler(np.float64(0.0), np.float64(1.0))


CONFIGS = {
    "close-residual": stock_cfg(),
    "log-return-ohlcv": stock_cfg(
        target="log_return",
        features=("open", "close", "volume"),
        residual=False,
        num_layers=1,
        head_sizes=(),
    ),
}


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def trained(request, tmp_path_factory):
    """One short real run per configuration, as the stage does it: the prices go through the
    CSV that fetch_stock_prices writes, and the model through save_stock_model."""
    cfg = CONFIGS[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    csv = write_prices(random_walk_prices(), folder / "stock_prices.csv")
    frame = load_prices(csv).frame
    series = build_dataset(frame, cfg.features, cfg.target, cfg.window)
    result = forecast(series, cfg, cpu_training(), 0, None, folder / "checkpoints")
    model_path = folder / "model.pt"
    save_stock_model(model_path, result.network, result.x_scaler, result.y_scaler, cfg)
    return {
        "cfg": cfg,
        "folder": folder,
        "frame": frame,
        "series": series,
        "result": result,
        "model_path": model_path,
    }


def test_forecast_returns_the_network_and_both_scalers(trained) -> None:
    result, cfg = trained["result"], trained["cfg"]
    assert isinstance(result.network, LSTMRegressor) and not result.network.training
    assert all(p.device.type == "cpu" for p in result.network.parameters())
    assert result.x_scaler.mean.shape == (len(cfg.features),)
    assert np.ndim(result.y_scaler.mean) == 0 and np.ndim(result.y_scaler.std) == 0


def test_round_trip_gives_identical_predictions(trained) -> None:
    result = trained["result"]
    model = load_stock_model(trained["model_path"])
    x = torch.randn(7, trained["cfg"].window, len(trained["cfg"].features))
    with torch.no_grad():
        torch.testing.assert_close(model.network(x), result.network(x), rtol=0, atol=0)
    assert not model.network.training
    for saved, loaded in ((result.x_scaler, model.x_scaler), (result.y_scaler, model.y_scaler)):
        np.testing.assert_array_equal(loaded.mean, saved.mean)
        np.testing.assert_array_equal(loaded.std, saved.std)
    cfg = trained["cfg"]
    assert (model.window, model.features, model.target, model.residual) == (
        cfg.window,
        cfg.features,
        cfg.target,
        cfg.residual,
    )


def test_loaded_model_repeats_the_stage_test_predictions(trained) -> None:
    series, result, cfg = trained["series"], trained["result"], trained["cfg"]
    _, _, test_idx = split_chronological(len(series), cfg.val_fraction, cfg.test_fraction)
    model = load_stock_model(trained["model_path"])
    predicted = model.predict(series.x[test_idx], series.reference[test_idx])
    np.testing.assert_allclose(predicted, result.predictions["lstm"], rtol=1e-12)
    # ...and it is a real forecast, not today's price handed back.
    assert not np.allclose(predicted, result.predictions["persistence"])


def test_next_day_from_raw_prices_matches_the_stage_on_its_last_test_day(trained) -> None:
    """Cut the file one day short: the day after its last row is the last test day."""
    frame, result = trained["frame"], trained["result"]
    csv = write_prices(frame.iloc[:-1], trained["folder"] / "short.csv")
    day = next_day_forecast(trained["model_path"], csv, root=trained["folder"])
    assert result.dates[-1] == frame.index[-1]
    assert day.last_day == frame.index[-2]
    assert day.last_price == result.reference[-1] == day.persistence
    assert day.persistence == result.predictions["persistence"][-1]
    # One sample instead of a batch: equal up to float32 arithmetic.
    assert day.forecast == pytest.approx(result.predictions["lstm"][-1], rel=1e-6)
    assert day.forecast != pytest.approx(day.persistence, rel=1e-9)
    assert day.column == "close" and day.window == trained["cfg"].window


def test_forecast_command_prints_the_next_day(trained, capsys) -> None:
    csv = trained["folder"] / "stock_prices.csv"
    day = next_day_forecast(trained["model_path"], csv, root=trained["folder"])
    code = cli.main(["forecast", "--csv", str(csv), "--model", str(trained["model_path"])])
    out = capsys.readouterr().out
    assert code == 0
    assert f"last day {day.last_day:%Y-%m-%d} close {day.last_price:.2f}" in out
    assert f"next trading day forecast {day.forecast:.2f}" in out
    assert f"persistence {day.persistence:.2f}" in out


def test_missing_model_or_prices_say_what_to_run(tmp_path: Path, capsys) -> None:
    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    with pytest.raises(ServingError, match=r"no stock model yet \(models/stock_lstm/model\.pt\)"):
        next_day_forecast(root=tmp_path)
    model = tmp_path / "models" / "stock_lstm" / "model.pt"
    net = LSTMRegressor(1, 4, 1, 0.0)
    cfg = stock_cfg(hidden_size=4, num_layers=1, head_sizes=(), dropout=0.0)
    save_stock_model(model, net, Scaler(np.zeros(1), np.ones(1)), SCALAR, cfg)
    with pytest.raises(ServingError, match=r"data/raw/stock_prices\.csv\).*make repro"):
        next_day_forecast(root=tmp_path)
    prices = tmp_path / "data/raw/stock_prices.csv"
    write_prices(random_walk_prices(days=5), prices)
    with pytest.raises(ServingError, match=r"^data/raw/stock_prices\.csv: 5 days; the model needs"):
        next_day_forecast(root=tmp_path)
    write_prices(random_walk_prices(days=20), prices)
    assert next_day_forecast(root=tmp_path).series == "data/raw/stock_prices.csv"
    (tmp_path / "reports/stocks").mkdir(parents=True)
    (tmp_path / "reports/stocks/data.json").write_text('{"series": "sp500"}', encoding="utf-8")
    assert next_day_forecast(root=tmp_path).series == "sp500"
    code = cli.main(["forecast", "--model", str(tmp_path / "nope.pt")])
    assert code == 2 and capsys.readouterr().err.startswith(
        f"error: {tmp_path / 'nope.pt'}: no such file; give the stock model"
    )
    code = cli.main(["forecast", "--model", str(model), "--csv", "nope.csv"])
    assert code == 2 and capsys.readouterr().err == (
        "error: nope.csv: no such file; give the price file\n"
    )


def test_a_foreign_or_broken_file_is_no_stock_model(tmp_path: Path) -> None:
    text = tmp_path / "notes.pt"
    text.write_text("not a model", encoding="utf-8")
    with pytest.raises(StockModelError, match=r"notes\.pt is not a readable torch file"):
        load_stock_model(text)
    other = tmp_path / "other.pt"
    torch.save({"format": "dlpipe.face_cnn", "version": 1}, other)
    with pytest.raises(StockModelError, match="not a stock model file"):
        load_stock_model(other)
    broken = tmp_path / "broken.pt"
    torch.save({"format": "dlpipe.stock_lstm", "version": 1, "meta": {}}, broken)
    with pytest.raises(StockModelError, match="not a complete stock model"):
        load_stock_model(broken)


def test_save_refuses_a_config_that_does_not_describe_the_network(tmp_path: Path) -> None:
    net = LSTMRegressor(2, 4, 1, 0.0)
    scaler = Scaler(np.zeros(2), np.ones(2))
    with pytest.raises(ValueError, match="1 features in the config for a network with 2"):
        save_stock_model(tmp_path / "a.pt", net, scaler, SCALAR, stock_cfg(hidden_size=4))
    two = stock_cfg(features=("open", "close"), hidden_size=8, num_layers=1)
    with pytest.raises(ValueError, match="hidden_size 4"):
        save_stock_model(tmp_path / "b.pt", net, scaler, SCALAR, two)
    assert not list(tmp_path.iterdir())


def test_the_registered_model_forecasts_as_the_model_file_does(
    trained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    project = scratch_project(tmp_path / "project")
    frame, model_path, cfg = trained["frame"], trained["model_path"], trained["cfg"]
    write_prices(frame, project / "data/raw/stock_prices.csv")
    register_in(project, "stock_lstm", lambda run: register_stock_model(run, model_path, frame))
    capsys.readouterr()  # MLflow's own lines while registering
    monkeypatch.chdir(project)
    by_registry = cli.main(["forecast"]), capsys.readouterr()
    by_file = cli.main(["forecast", "--model", str(model_path)]), capsys.readouterr()
    assert by_registry == by_file and by_file[0] == 0 and "forecast" in by_file[1].out
    assert cli.main(["forecast", "--version", "2"]) == 2
    assert capsys.readouterr().err == (
        "error: registered model dlpipe-stock_lstm has no version 2 (it has version 1)\n"
    )
    # The pyfunc model: the recent days in, the next day's forecast and persistence out.
    pyfunc, _ = load_registered_model(project, "dlpipe-stock_lstm")
    example = pd.DataFrame(pyfunc.input_example)
    columns = list(dict.fromkeys([*cfg.features, "close" if cfg.target != "open" else "open"]))
    assert list(example.columns) == columns and len(example) == cfg.window
    day = next_day_forecast(model_path, project / "data/raw/stock_prices.csv", root=project)
    (answer,) = pyfunc.predict(frame.reset_index(drop=True)).to_dict("records")
    assert answer == {"forecast": pytest.approx(day.forecast), "persistence": day.persistence}
    with pytest.raises(ValueError, match=f"2 days; the model needs the last {cfg.window}"):
        pyfunc.predict(frame.iloc[-2:].reset_index(drop=True))
