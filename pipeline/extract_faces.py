"""DVC stage extract_faces: one square face crop per crawled photo (OpenCV Haar cascade).

Reads data/raw/faces (photos + manifest). Every photo gets an audit row (faces found, the box
kept, or why it was rejected); contact sheets of the crops per person and of the rejected photos.
"""

from dlpipe.families.faces.extract import extract_faces
from dlpipe.stage import StageSpec, run_stage

SPEC = StageSpec(
    name="extract_faces",
    family="faces",
    params=("face_extract",),
    outputs=(
        "data/interim/faces/",
        "reports/faces/audit.csv",
        "reports/faces/extract.json",
        "reports/faces/sheets/",
    ),
)

if __name__ == "__main__":
    run_stage(SPEC, extract_faces)
