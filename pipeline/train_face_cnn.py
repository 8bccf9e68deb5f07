"""DVC stage train_face_cnn: the pretrained embedding + a linear classifier (the registered face
model), the course's CNN and the Eigenfaces + SVM baseline on the same split.

Reads data/interim/faces, data/processed/faces/{splits.csv,embeddings.npz}, reports/faces/audit.csv.
"""

from dlpipe.families.faces.train import train_face_cnn
from dlpipe.stage import StageSpec, run_stage

SPEC = StageSpec(
    name="train_face_cnn",
    family="faces",
    params=(
        "seed",
        "training",
        "face_split.source",
        "face_extract",
        "face_cnn",
        "eigenfaces",
        "face_embedding",
    ),
    outputs=(
        "models/face_cnn/",
        "models/face_embedding/",
        "reports/faces/learning_curves.csv",
        "reports/faces/details.json",
        "reports/faces/test_predictions.csv",
        "reports/faces/report.md",
        "reports/faces/metrics.json",
        "reports/faces/confusion_cnn.png",
        "reports/faces/confusion_eigenfaces.png",
        "reports/faces/confusion_embedding.png",
        "reports/faces/embedding_map.png",
        "reports/faces/learning_curves.png",
        "reports/faces/eigenfaces.png",
    ),
)

if __name__ == "__main__":
    run_stage(SPEC, train_face_cnn)
