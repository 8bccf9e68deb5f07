"""DVC stage tune@FAMILY (dvc.yaml's `foreach`): the family's Optuna study, resumed when its
space and params are unchanged; best params, headline, details and plots under
reports/tuning/FAMILY/. The trials are nested MLflow runs under this stage's run.

    PYTHONPATH=src python pipeline/tune.py stock_lstm
"""

import sys

from dlpipe.families.tuning.tune import tune_family, tune_spec
from dlpipe.stage import run_stage

if __name__ == "__main__":
    family = sys.argv[1]
    run_stage(tune_spec(family), lambda stage: tune_family(stage, family))
