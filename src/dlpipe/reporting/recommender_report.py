"""The recommender comparison as a page: every model, the published anchors, sample users."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dlpipe.reporting.tables import figures, markdown_table

# Same data (MovieLens 100k), same metric (pooled RMSE); protocols differ, as noted.
PUBLISHED = {
    "scikit-surprise SVD (5-fold CV)": 0.934,
    "scikit-surprise SVD++ (5-fold CV)": 0.919,
    "scikit-surprise BaselineOnly (5-fold CV)": 0.944,
    "I-AutoRec, d2l (random 90/10)": 0.898,
}
GOAL = 0.90


def recommender_markdown(
    metrics: Mapping[str, Mapping[str, float]],
    autoencoders: Sequence[str],
    best: str,
    samples: Mapping[int, Sequence[tuple[int, str, float]]],
    description: str,
) -> str:
    order = sorted(metrics, key=lambda name: metrics[name]["rmse"])
    best_ae = min(autoencoders, key=lambda name: metrics[name]["rmse"])
    baselines = [name for name in metrics if name not in autoencoders]
    best_baseline = min(baselines, key=lambda name: metrics[name]["rmse"])
    ae_rmse, base_rmse = metrics[best_ae]["rmse"], metrics[best_baseline]["rmse"]
    lines = [
        "# Autoencoder recommender on MovieLens",
        "",
        description,
        "",
        markdown_table(
            "model",
            {
                f"{name}{' (autoencoder)' if name in autoencoders else ''}": dict(metrics[name])
                for name in order
            },
        ),
        f"Best autoencoder on the test ratings: **{best_ae}**, RMSE {ae_rmse:.4f} "
        f"({'at or below' if ae_rmse <= GOAL else 'above'} the {GOAL} goal; "
        f"{'ahead of' if ae_rmse < base_rmse else 'behind'} the best baseline, {best_baseline}, "
        f"at {base_rmse:.4f}).",
        "",
        "`per_user_loss` is the course's figure (each user's RMSE, averaged over users); "
        "`rmse` pools all held-out ratings, the standard figure.",
        "",
        "Published on the same data: "
        + "; ".join(f"{name} {value}" for name, value in PUBLISHED.items())
        + ". The course's stacked AE reports a per-user loss of about 0.955 on u1.test.",
        "",
        *figures({"learning_curves.png": "Autoencoders: masked RMSE per epoch (train, val)"}),
        f"## Recommendations ({best}, chosen on validation ratings)",
        "",
    ]
    for user, picks in samples.items():
        lines.append(f"User {user}:")
        lines += [
            f"{rank}. {title} (predicted {score:.2f})"
            for rank, (_, title, score) in enumerate(picks, start=1)
        ]
        lines.append("")
    return "\n".join(lines)
