"""DVC stage embed_faces: dlib's 128-d face descriptor of every face in the split table.

Reads data/raw/faces (photos), reports/faces/audit.csv (Haar boxes) and
data/processed/faces/splits.csv.
"""

from dlpipe.families.faces.embed import embed_faces
from dlpipe.stage import StageSpec, run_stage

SPEC = StageSpec(
    name="embed_faces",
    family="faces",
    params=("face_extract.max_pixels", "face_embedding"),
    outputs=("data/processed/faces/embeddings.npz", "reports/faces/embed.json"),
)

if __name__ == "__main__":
    run_stage(SPEC, embed_faces)
