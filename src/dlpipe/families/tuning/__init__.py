"""The tuning stages (`tune@<family>`, `train_tuned@<family>`), one module each."""

REPORTS = "reports/tuning"  # one folder per family
