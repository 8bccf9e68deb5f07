"""DVC stage trace_optimizers: the seven optimizers on classic 2-D test surfaces."""

from __future__ import annotations

from dlpipe import paths
from dlpipe.atomic import atomic_dir, write_json, write_text
from dlpipe.config import as_plain, load_params
from dlpipe.optim.surfaces import get_surface
from dlpipe.optim.tracing import trace_surface
from dlpipe.reporting.tables import markdown_table
from dlpipe.reporting.trajectory_plots import animate_paths, plot_paths
from dlpipe.tracking import start_run

STAGE = "trace_optimizers"


def main() -> None:
    params = load_params()
    cfg = params.trace_optimizers
    root = paths.project_root()
    reports = paths.reports_dir(root) / "optimizers"
    table: dict[str, dict[str, dict[str, object]]] = {}
    with start_run(root, "optimizers", STAGE, as_plain(cfg)) as run:
        with atomic_dir(reports / "trajectories") as figures:
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
                    trace.surface,
                    trace.trajectories,
                    figures / f"{name}.gif",
                    cfg.gif_frames,
                    cfg.gif_fps,
                )
                table[name] = trace.table_row()
        run.log_artifacts(reports / "trajectories", "trajectories")
        run.log_metrics(
            {
                f"{surface}/{opt}/steps_to_tolerance": row["steps"]
                for surface, rows in table.items()
                for opt, row in rows.items()
                if row["steps"] is not None
            }
        )
        write_json(reports / "trace_metrics.json", table)
        text = markdown_table(
            "steps to tolerance",
            {
                s: {
                    o: r["steps"] if r["steps"] is not None else r["status"]
                    for o, r in rows.items()
                }
                for s, rows in table.items()
            },
        )
        write_text(reports / "trace_table.md", text)
        run.log_artifact(reports / "trace_table.md")


if __name__ == "__main__":
    main()
