"""The embedding model's part of the face page: how far the course's CNN is from it, every
pairwise McNemar test, and how often a stranger is taken for someone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dlpipe.reporting.tables import markdown_table

NAMES = {
    "embedding": "pretrained embedding + linear classifier",
    "cnn": "the course's CNN",
    "eigenfaces": "Eigenfaces + SVM",
}


def embedding_lines(
    metrics: Mapping[str, object],
    scores: Mapping[str, Mapping[str, Mapping[str, object]]],
    classes: Sequence[str],
) -> list[str]:
    """Markdown lines (empty when the details have no embedding model)."""
    if "embedding" not in scores:
        return []
    emb, cnn = scores["embedding"]["test"], scores["cnn"]["test"]
    gap, choice, unknown = metrics["cnn_gap"], metrics["embedding_choice"], metrics["unknown"]
    tests = {
        pair.replace("_vs_", " vs "): {
            "only the first right": result[f"{pair.split('_vs_')[0]}_only_right"],
            "only the second right": result[f"{pair.split('_vs_')[1]}_only_right"],
            "McNemar p": result["p_value"],
            "verdict (first vs second)": result["verdict"],
        }
        for pair, result in metrics["pairwise_tests"].items()
    }
    strangers = {
        person: {
            "faces tried": unknown["strangers_per_person"].get(person, 0),
            "accepted as someone": unknown["false_accept_per_person"].get(person, 0.0),
        }
        for person in classes
    }
    folds = f"{choice['cv_folds']}-fold CV on train" if choice["cv_folds"] else "no CV (too few)"
    return [
        "## The pretrained embedding against the course's CNN",
        "",
        f"dlib's ResNet face embedding (128-d, pretrained on about 3 million faces) with a linear "
        f"classifier (C = {choice['C']:g}, {folds}) reaches test accuracy "
        f"{emb['accuracy']:.3f} (macro F1 {emb['macro_f1']:.3f}); the course's CNN "
        f"{cnn['accuracy']:.3f} ({cnn['macro_f1']:.3f}). The CNN is "
        f"**{gap['accuracy'] * 100:.1f} points of accuracy** behind: "
        f"{gap['cnn_errors']} test errors against {gap['embedding_errors']}.",
        "",
        markdown_table("pair", tests),
        "## Unknown faces",
        "",
        f'A face is answered "unknown" when it lies farther than **{unknown["threshold"]:.3f}** '
        "(Euclidean, raw descriptors) from the nearest training face of the person the "
        "classifier names. The threshold is a quantile of the val faces' distances to their own "
        "person's nearest training face, capped at dlib's same-person cut. "
        f"Known test faces refused: **{unknown['false_reject_test']:.3f}**. Strangers accepted "
        "as someone (each person left out of training in turn; the classifier and threshold "
        f"rebuilt from the others): **{unknown['false_accept_mean']:.3f}** on average.",
        "",
        markdown_table("person left out", strangers),
    ]
