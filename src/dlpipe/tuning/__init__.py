"""Optuna tuning for every family: search spaces, studies in a shared storage, workers.

Layer: below `families` (whose stages call it) and `cli`; above `training`, which it calls
through each family's objective (`tuning.objectives`). It never imports families or cli.
"""
