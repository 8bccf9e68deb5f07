"""DVC stage split_faces: train/val/test per photo, person-stratified from the seed or the
gallery's own splits.csv (its val photos become our test split).

Reads data/raw/faces (manifest) and data/interim/faces (crops).
"""

from dlpipe.families.faces.split import split_faces
from dlpipe.stage import StageSpec, run_stage

SPEC = StageSpec(
    name="split_faces",
    family="faces",
    params=("seed", "face_crawl.gallery", "face_split"),
    outputs=("data/processed/faces/splits.csv", "reports/faces/splits.json"),
    tracked=False,
)

if __name__ == "__main__":
    run_stage(SPEC, split_faces)
