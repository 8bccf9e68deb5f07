"""The faces family's stages, one module each: a stage depends only on what it uses."""

RAW = "data/raw/faces"  # crawled photos + manifest.csv
CROPS = "data/interim/faces"  # one square crop per accepted photo
SPLITS = "data/processed/faces/splits.csv"
REPORTS = "reports/faces"
EMBEDDINGS = "data/processed/faces/embeddings.npz"
