"""dlpipe: a reproducible deep-learning course lab (DVC stages, Lightning, MLflow, Optuna)."""
