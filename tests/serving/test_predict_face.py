"""`dlpipe predict-face`: a photo through the model file's own detector and crop settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from serving_helpers import (
    PEOPLE,
    blank_photo,
    gallery_photos,
    register_in,
    save_tiny_face_model,
    scratch_project,
)

from dlpipe import cli
from dlpipe.serving import ServingError
from dlpipe.serving.face import FaceClassifier, predict_face, suffix_for
from dlpipe.serving.pyfunc import encode_image, register_face_model
from dlpipe.tracking import load_registered_model


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "model.pt"
    save_tiny_face_model(path)
    return path


def face_photo() -> Path:
    """The first photo of the shared gallery (frontal portraits)."""
    photos = gallery_photos()
    if not photos:
        pytest.skip("the shared five-celebrity gallery is not on this machine")
    return photos[0]


def test_a_face_is_ranked_against_every_person(model: Path, tmp_path: Path, capsys) -> None:
    photo = face_photo()
    result = predict_face(photo, model, root=tmp_path)
    assert result.found and result.readable and result.reason == ""
    assert sorted(name for name, _ in result.ranked) == sorted(PEOPLE)
    probabilities = [p for _, p in result.ranked]
    assert probabilities == sorted(probabilities, reverse=True)
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-5)
    x, y, w, h = result.box
    assert w >= 30 and h >= 30 and x >= 0 and y >= 0
    assert cli.main(["predict-face", str(photo), "--model", str(model), "--top", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    best, p_best = result.ranked[0]
    assert lines[0] == (
        f"{photo}: {best} (probability {p_best:.3f}); face box x={x} y={y} w={w} h={h}"
    )
    assert [line for line in lines if line.startswith("  then ")] == [
        f"  then {result.ranked[1][0]} ({result.ranked[1][1]:.3f})"
    ]


def test_no_usable_face_is_exit_1_with_the_reason(model: Path, tmp_path: Path, capsys) -> None:
    blank = blank_photo(tmp_path / "blank.png")
    result = predict_face(blank, model, root=tmp_path)
    assert not result.found and result.readable and result.reason
    assert cli.main(["predict-face", str(blank), "--model", str(model)]) == 1
    out = capsys.readouterr().out
    assert out == f"{blank}: no usable face ({result.reason}); try a frontal, well-lit photo\n"
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo", encoding="utf-8")
    assert cli.main(["predict-face", str(text), "--model", str(model)]) == 1
    out = capsys.readouterr().out
    assert "unreadable" in out and "try a frontal" not in out


def test_missing_things_are_exit_2_and_named(model: Path, tmp_path: Path, capsys) -> None:
    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    photo = blank_photo(tmp_path / "blank.png")
    with pytest.raises(ServingError, match=r"no face model yet \(models/face_cnn/model\.pt\)"):
        predict_face(photo, root=tmp_path)
    assert cli.main(["predict-face", str(tmp_path / "nope.png"), "--model", str(model)]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'nope.png'}: no such file; give an image file (JPEG, PNG, ...)\n"
    )
    foreign = tmp_path / "foreign.pt"
    foreign.write_text("not a model", encoding="utf-8")
    assert cli.main(["predict-face", str(photo), "--model", str(foreign)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "foreign.pt" in err and "Traceback" not in err


def test_extract_settings_that_do_not_fit_are_a_clear_error(tmp_path: Path) -> None:
    photo = blank_photo(tmp_path / "blank.png")
    odd = tmp_path / "odd.pt"
    save_tiny_face_model(odd, padding=3)  # a key this code's FaceExtractConfig does not have
    with pytest.raises(ServingError, match=r"odd\.pt: the stored extract settings do not fit"):
        predict_face(photo, odd, root=tmp_path)


def test_the_registered_model_answers_as_the_model_file_does(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    project = scratch_project(tmp_path / "project")
    monkeypatch.chdir(project)
    photo = face_photo()
    blank = blank_photo(tmp_path / "blank.png")
    assert register_in(project, "faces", lambda run: register_face_model(run, model, photo)) == "1"
    capsys.readouterr()  # MLflow's own lines while registering
    for argv in (["predict-face", str(photo), "--top", "2"], ["predict-face", str(blank)]):
        by_file = cli.main([*argv, "--model", str(model)]), capsys.readouterr()
        by_registry = cli.main(argv), capsys.readouterr()
        assert by_registry == by_file and by_file[1].out
    assert cli.main(["predict-face", str(photo), "--version", "1"]) == 0
    assert cli.main(["predict-face", str(photo), "--version", "2"]) == 2
    assert capsys.readouterr().err.endswith(
        "error: registered model dlpipe-faces has no version 2 (it has version 1)\n"
    )
    # The pyfunc model: base64 image bytes in, the best person and the face box out.
    pyfunc, _ = load_registered_model(project, "dlpipe-faces")
    expected = predict_face(photo, model, root=project)
    request = pd.DataFrame({"image": [encode_image(photo), encode_image(blank), "%%%"]})
    found, missing, garbage = pyfunc.predict(request).to_dict("records")
    assert np.isnan(found.pop("distance")) and found.pop("unknown") is False  # the CNN: no distance
    assert found == {
        "person": expected.ranked[0][0],
        "probability": pytest.approx(expected.ranked[0][1]),
        **dict(zip(("box_x", "box_y", "box_w", "box_h"), expected.box, strict=True)),
        "no_face": "",
    }
    assert missing["person"] == "" and missing["no_face"] == "no face found"
    assert garbage["no_face"] == "unreadable: the image is not base64-encoded"
    example = pd.DataFrame(pyfunc.input_example)
    assert list(example.columns) == ["image"] and example["image"][0] == encode_image(photo)


def test_image_bytes_are_read_as_the_file_they_came_from(model: Path, tmp_path: Path) -> None:
    """A PNG's bytes get a .png name, so no "content is PNG, extension .jpg" note appears."""
    classifier = FaceClassifier.load(model)
    blank = blank_photo(tmp_path / "blank.png")
    from_bytes = classifier.predict_bytes(blank.read_bytes())
    assert from_bytes.photo == Path("image.png") and from_bytes.notes == ""
    assert (from_bytes.reason, from_bytes.readable) == (classifier.predict(blank).reason, True)
    assert suffix_for(b"not an image") == ""
    unreadable = classifier.predict_bytes(b"not an image")
    assert not unreadable.found and unreadable.reason.startswith("unreadable")
