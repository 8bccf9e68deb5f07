"""DVC stage trace_optimizers: the seven optimizers on classic 2-D test surfaces."""

from dlpipe.families.optimizers.trace import trace_optimizers
from dlpipe.stage import StageSpec, run_stage

SPEC = StageSpec(
    name="trace_optimizers",
    family="optimizers",
    params=("trace_optimizers",),
    outputs=(
        "reports/optimizers/trajectories/",
        "reports/optimizers/trace_table.md",
        "reports/optimizers/trace.json",
    ),
)

if __name__ == "__main__":
    run_stage(SPEC, trace_optimizers)
