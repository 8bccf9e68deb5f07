"""The face branch as a page: where the photos came from, what extraction kept, the pretrained
embedding, the course's CNN and the Eigenfaces baseline side by side."""

from __future__ import annotations

from collections.abc import Mapping

from dlpipe.reporting.face_embedding_report import embedding_lines
from dlpipe.reporting.tables import figures, markdown_table

# Published anchors (different data, same kind of comparison); see docs/DESIGN.md.
PUBLISHED = (
    "Five-celebrity faces (this default gallery), its own val split: pretrained FaceNet "
    "embeddings + SVM reach 100% (the best-known tutorial on the set); our embedding's figure "
    "on that split: `make exp SET=face_split.source=file`.",
    "Eigenfaces + SVM on LFW (7 people, scikit-learn's example): weighted F1 about 0.80.",
    "ORL faces (Lawrence et al. 1997): CNN 3.8% error against eigenfaces 10.5%.",
)


def face_markdown(
    metrics: Mapping[str, object],
    scores: Mapping[str, Mapping[str, Mapping[str, object]]],
    classes: tuple[str, ...],
    description: str,
) -> str:
    headline = {
        f"{model} ({split})": {
            "accuracy": report["accuracy"],
            "macro F1": report["macro_f1"],
            "weighted F1": report["weighted_f1"],
        }
        for model, by_split in scores.items()
        for split, report in by_split.items()
    }
    per_person = {
        person: {
            f"{model} {k}": scores[model]["test"]["per_class"][person][k]
            for model in scores
            for k in ("precision", "recall")
        }
        | {"test photos": scores["cnn"]["test"]["per_class"][person]["support"]}
        for person in classes
    }
    cnn, base = scores["cnn"]["test"], scores["eigenfaces"]["test"]
    in_front = (cnn["accuracy"], cnn["macro_f1"]) > (base["accuracy"], base["macro_f1"])
    ahead = "ahead of" if in_front else "not ahead of"
    verdict = (
        f"On the held-out test split the CNN is **{ahead}** "
        f"the Eigenfaces + SVM baseline: accuracy {cnn['accuracy']:.3f} against "
        f"{base['accuracy']:.3f}, macro F1 {cnn['macro_f1']:.3f} against {base['macro_f1']:.3f}."
    )
    test = metrics["mcnemar_test"]
    significance = (
        f"The two disagree on {test['cnn_only_right'] + test['eigenfaces_only_right']} test "
        f"photos (CNN alone right on {test['cnn_only_right']}, baseline alone on "
        f"{test['eigenfaces_only_right']}); McNemar's exact test gives p = "
        f"{test['p_value']:.3f}"
        + (
            ", a real difference at the 5% level."
            if test["p_value"] < 0.05
            else ": on this few photos the gap is **not significant** at the 5% level."
        )
        + f" Verdict: **{metrics['verdict']}**."
    )
    n_test = sum(int(scores["cnn"]["test"]["per_class"][p]["support"]) for p in classes)
    lines = [
        "# Faces: who is in the photo?",
        "",
        description,
        "",
        markdown_table("model (split)", headline),
        *embedding_lines(metrics, scores, classes),
        "## The course's CNN against Eigenfaces + SVM",
        "",
        verdict,
        significance,
        f"With {n_test} test photos one photo is {100 / max(n_test, 1):.1f} points of accuracy: "
        "read small gaps as noise.",
        "",
        "## Per person (test split)",
        "",
        markdown_table("person", per_person),
        "## Figures",
        "",
        *figures(
            {
                **(
                    {
                        "confusion_embedding.png": "Embedding + linear classifier: confusion "
                        "matrix on the test split",
                        "embedding_map.png": "The test faces' embeddings in 2-D (PCA), coloured "
                        "by person; the embedding model's mistakes ringed",
                    }
                    if "embedding" in scores
                    else {}
                ),
                "confusion_cnn.png": "CNN: confusion matrix on the test split (rows: true person)",
                "confusion_eigenfaces.png": "Eigenfaces + SVM: confusion matrix on the test split",
                "learning_curves.png": "CNN training and validation loss per epoch",
                "eigenfaces.png": "The first eigenfaces (principal components of the crops)",
                "sheets/rejected.png": "Photos the extraction rejected, with the reason",
            }
        ),
        "Contact sheets of every accepted crop, per person: `sheets/`.",
        "",
        "## Published anchors",
        "",
        *[f"- {line}" for line in PUBLISHED],
        "",
    ]
    return "\n".join(lines)


def skipped_markdown(reason: str) -> str:
    return f"# Face CNN\n\nSkipped: {reason}\n"
