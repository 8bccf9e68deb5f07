"""DVC stage train_tuned@FAMILY (dvc.yaml's `foreach`): the family's model at full settings
with the defaults and with tune@FAMILY's best params, each scored once on the test split;
reports/tuning/FAMILY/tuned.json and tuned_metrics.json.

    PYTHONPATH=src python pipeline/train_tuned.py stock_lstm
"""

import sys

from dlpipe.families.tuning.retrain import train_tuned, train_tuned_spec
from dlpipe.stage import run_stage

if __name__ == "__main__":
    family = sys.argv[1]
    run_stage(train_tuned_spec(family), lambda stage: train_tuned(stage, family))
