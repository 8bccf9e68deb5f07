"""DVC stage trace_optimizers: the optimizers on classic 2-D test surfaces."""

from __future__ import annotations

from dlpipe.atomic import write_json, write_text
from dlpipe.optim.surfaces import get_surface
from dlpipe.optim.tracing import trace_surface
from dlpipe.reporting.optimizer_report import trace_page
from dlpipe.reporting.trajectory_plots import animate_paths, plot_paths
from dlpipe.stage import Stage

REPORTS = "reports/optimizers"


def trace_optimizers(stage: Stage) -> None:
    """Each optimizer from the same start on each surface: a PNG, a GIF and steps to tolerance."""
    cfg = stage.params.trace_optimizers
    figures = stage.out(f"{REPORTS}/trajectories")
    table: dict[str, dict[str, dict[str, object]]] = {}
    for name, surface_run in cfg.surfaces.items():
        trace = trace_surface(
            get_surface(name),
            surface_run.start,
            surface_run.steps,
            surface_run.tolerance,
            cfg.optimizers,
        )
        plot_paths(trace.surface, trace.trajectories, figures / f"{name}.png", trace.start)
        animate_paths(
            trace.surface, trace.trajectories, figures / f"{name}.gif", cfg.gif_frames, cfg.gif_fps
        )
        table[name] = trace.table_row()
    if stage.run is not None:
        stage.run.log_metrics(
            {
                f"{surface}/{opt}/steps_to_tolerance": row["steps"]
                for surface, rows in table.items()
                for opt, row in rows.items()
                if row["steps"] is not None
            }
        )
    write_json(stage.out(f"{REPORTS}/trace.json"), table)
    steps = {
        surface: {o: r["steps"] if r["steps"] is not None else r["status"] for o, r in rows.items()}
        for surface, rows in table.items()
    }
    write_text(stage.out(f"{REPORTS}/trace_table.md"), trace_page(steps))
