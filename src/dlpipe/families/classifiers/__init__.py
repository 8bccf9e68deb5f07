"""The evaluation chapter's stages, one module each: any binary-classification table."""

FAMILY = "classifiers"
REPORTS = "reports/classifiers"  # compare_classifiers
STUDY = "reports/classifiers/study"  # study_ann
MODEL_DIR = "models/classifier"
