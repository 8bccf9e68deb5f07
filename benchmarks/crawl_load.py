"""Crawl + face extraction under load: throughput and peak memory at 500, 1,000 and 2,000 images.

A gallery of transformed copies of the crawl's default gallery (params.yaml face_crawl.gallery)
is built in a temporary folder (load_gallery.py). Each size runs in a fresh child process: the
real crawl_face_images stage body (the gallery served on 127.0.0.1, Scrapy, the images pipeline)
then the real extract_faces stage body (OpenCV in face_extract.workers processes), both through
`temporary_stage` into the child's own project folder. Politeness stays on (robots.txt, user
agent, timeouts, size limits); only the pacing params are relaxed, since the site is local.

Memory: this process samples the resident set size (RSS) of the child and all its descendants
(forkserver, extraction workers) with psutil every SAMPLE_S and keeps the largest sum; shared
pages count once per process, so the sum overstates the true footprint but tracks its growth.
The child also reports resource.getrusage maxima (itself; its largest child) as a cross-check.

Run: PYTHONPATH=src:benchmarks .venv/bin/python benchmarks/crawl_load.py [--sizes 500 1000 2000]
     [--write-docs]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil

from dlpipe import paths
from dlpipe.config import load_params
from docs_section import write_section
from load_gallery import build_gallery, link_subset

SIZES = (500, 1000, 2000)
SAMPLE_S = 0.05
# The relaxed pacing (the gallery is on this machine); everything else is params.yaml's.
FAST_CRAWL = {"download_delay_s": 0.001, "autothrottle": False, "concurrent_requests_per_domain": 8}
HOLDS = 0.8  # throughput at 2,000 at least this fraction of that at 500
FLAT = 1.25  # peak memory at 2,000 at most this multiple of that at 500


# --- child: one size -----------------------------------------------------------------------------


def stage_spec(root: Path, name: str) -> Any:
    """The StageSpec of pipeline/<name>.py (pipeline/ is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, root / "pipeline" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SPEC


def run_one_size(root: Path, gallery: Path, project: Path) -> dict[str, Any]:
    """Both stage bodies on `gallery` into `project`; wall times, counts and phase marks."""
    from dlpipe.families.faces.crawl import crawl_face_images
    from dlpipe.families.faces.extract import extract_faces
    from dlpipe.stage import temporary_stage

    params = load_params(root / "params.yaml")
    crawl_cfg = params.face_crawl.replace(source="gallery", gallery=str(gallery), **FAST_CRAWL)
    params = params.replace(face_crawl=crawl_cfg)
    marks = {"crawl_start": time.time()}
    with temporary_stage(stage_spec(root, "crawl_face_images"), params, project) as stage:
        crawl_face_images(stage)
    marks["extract_start"] = time.time()
    with temporary_stage(stage_spec(root, "extract_faces"), params, project) as stage:
        extract_faces(stage)
    marks["end"] = time.time()
    reports = project / "reports" / "faces"
    crawl = json.loads((reports / "crawl.json").read_text(encoding="utf-8"))
    extract = json.loads((reports / "extract.json").read_text(encoding="utf-8"))
    return {
        "marks": marks,
        "stored": crawl["images"]["ok"],
        "crawl_report": crawl,
        "extract_report": extract,
        "maxrss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "maxrss_children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


# --- parent: galleries, children, sampling -------------------------------------------------------


class TreeRss:
    """Samples the summed RSS of a process and its descendants in a thread; keeps (t, bytes)."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                tree = [self.process, *self.process.children(recursive=True)]
            except psutil.Error:
                break
            for proc in tree:
                with contextlib.suppress(psutil.Error):  # it may end between list and read
                    total += proc.memory_info().rss
            self.samples.append((time.time(), total))
            self._stop.wait(SAMPLE_S)

    def peak_mb(self, start: float = 0.0, end: float = float("inf")) -> float:
        inside = [rss for t, rss in self.samples if start <= t <= end]
        return max(inside, default=0) / 2**20


def measure_size(root: Path, gallery: Path, project: Path, size: int) -> dict[str, Any]:
    """One size in a fresh child process, its process tree sampled meanwhile."""
    result_file = project.parent / f"result-{size}.json"
    command = [
        sys.executable,
        __file__,
        "--child",
        str(gallery),
        str(project),
        str(result_file),
    ]
    load_before = os.getloadavg()[0]
    started = time.time()
    child = subprocess.Popen(command, env=os.environ.copy())
    with TreeRss(child.pid) as sampler:
        code = child.wait()
    if code != 0:
        raise RuntimeError(f"size {size}: the child run failed (exit {code}); see its log above")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    marks = result["marks"]
    crawl_s = marks["extract_start"] - marks["crawl_start"]
    extract_s = marks["end"] - marks["extract_start"]
    accepted = result["extract_report"].get("accepted", 0)
    return {
        "size": size,
        "stored": result["stored"],
        "accepted": accepted,
        "timeouts": result["crawl_report"]["scrapy"]["timeouts"],
        "failed": result["crawl_report"]["images"]["failed"],
        "crawl_s": crawl_s,
        "extract_s": extract_s,
        "startup_s": marks["crawl_start"] - started,
        "crawl_rate": size / crawl_s,
        "extract_rate": size / extract_s,
        "end_to_end_rate": size / (crawl_s + extract_s),
        "peak_mb": sampler.peak_mb(),
        "crawl_peak_mb": sampler.peak_mb(marks["crawl_start"], marks["extract_start"]),
        "extract_peak_mb": sampler.peak_mb(marks["extract_start"], marks["end"]),
        "maxrss_self_mb": result["maxrss_self_mb"],
        "maxrss_children_mb": result["maxrss_children_mb"],
        "samples": len(sampler.samples),
        "load": (load_before, os.getloadavg()[0]),
    }


def report(rows: list[dict[str, Any]], source: Path, command: str) -> str:
    table = [
        "| images | stored | failed | timeouts | faces | crawl s | crawl img/s | extract s "
        "| extract img/s "
        "| end-to-end img/s | peak RSS, tree (MB) | crawl phase | extract phase "
        "| maxrss child / its largest child (MB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        table.append(
            f"| {r['size']} | {r['stored']} | {r['failed']} | {r['timeouts']} | {r['accepted']} "
            f"| {r['crawl_s']:.1f} "
            f"| {r['crawl_rate']:.1f} | {r['extract_s']:.1f} | {r['extract_rate']:.1f} "
            f"| {r['end_to_end_rate']:.1f} | {r['peak_mb']:.0f} | {r['crawl_peak_mb']:.0f} "
            f"| {r['extract_peak_mb']:.0f} | {r['maxrss_self_mb']:.0f} / "
            f"{r['maxrss_children_mb']:.0f} |"
        )
    small, large = rows[0], rows[-1]
    ratio = {k: large[k] / small[k] for k in ("crawl_rate", "extract_rate", "end_to_end_rate")}
    memory = large["peak_mb"] / small["peak_mb"]
    holds = min(ratio.values()) >= HOLDS
    flat = memory <= FLAT
    per_1000 = (large["peak_mb"] - small["peak_mb"]) / (large["size"] - small["size"]) * 1000
    verdict = (
        f"Verdict ({large['size']} vs {small['size']} images): throughput "
        f"{'holds' if holds else 'drops'} (crawl {ratio['crawl_rate']:.2f}x, extraction "
        f"{ratio['extract_rate']:.2f}x, end to end {ratio['end_to_end_rate']:.2f}x; "
        f"target >= {HOLDS}x); peak memory {'stays flat' if flat else 'grows'} "
        f"({memory:.2f}x, {per_1000:+.0f} MB per 1,000 images; target <= {FLAT}x)."
    )
    loads = ", ".join(f"{r['load'][0]:.1f}/{r['load'][1]:.1f}" for r in rows)
    pacing = ", ".join(f"`{k}: {v}`" for k, v in FAST_CRAWL.items())
    return "\n".join(
        [
            *table,
            "",
            f"**{verdict}**",
            "",
            f"Setup: galleries of transformed copies (flip, rotation up to 8 degrees, crops up to "
            f"6 % a side, brightness 0.8-1.2, scale 0.85-1.15, JPEG quality 70-95; every file "
            f"distinct) of the {source.name} gallery, built in a temporary folder, the smaller "
            f"ones the first images of the largest. Each size runs in a fresh child process: the "
            f"crawl_face_images stage body (gallery served on 127.0.0.1, Scrapy, robots.txt "
            f"obeyed) then the extract_faces stage body (params.yaml face_extract, workers one "
            f"per core), through `temporary_stage`. Crawl pacing relaxed to {pacing}; other "
            f"face_crawl params as in params.yaml. Rates are images in the gallery per second "
            f"of stage body wall time (end to end: crawl + extraction; process start and "
            f"imports, about {small['startup_s']:.0f} s, not counted). Peak RSS: the summed "
            f"resident set of the child and its descendants (forkserver, extraction workers), "
            f"sampled with psutil every {SAMPLE_S * 1000:.0f} ms (shared pages count once per "
            f"process); last column: the child's own ru_maxrss and that of its largest "
            f"finished child (resource.getrusage).",
            f"Measured {datetime.date.today().isoformat()} on {platform.machine()}, "
            f"nproc={os.cpu_count()}, Python {platform.python_version()}; 1-minute load average "
            f"before/after each size (other processes share the cores): {loads}; "
            f"command: `{command}`.",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--seed", type=int, default=0, help="seed of the gallery's transforms")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument(
        "--child", nargs=3, metavar=("GALLERY", "PROJECT", "RESULT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    root = paths.project_root(Path(__file__).resolve().parent)
    if args.child:
        # Scrapy sets its own loggers' levels: the handler's level is what keeps its INFO out.
        handler = logging.StreamHandler()
        handler.setLevel(logging.WARNING)
        logging.basicConfig(level=logging.WARNING, handlers=[handler])
        gallery, project, result_file = (Path(p) for p in args.child)
        result = run_one_size(root, gallery, project)
        result_file.write_text(json.dumps(result), encoding="utf-8")
        return
    sizes = sorted(set(args.sizes))
    source = paths.data_path(root, load_params(root / "params.yaml").face_crawl.gallery)
    rows = []
    with tempfile.TemporaryDirectory(prefix="dlpipe-crawl-load-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        files = build_gallery(source, work / "built", max(sizes), seed=args.seed)
        print(f"built {len(files)} images in {time.perf_counter() - started:.1f} s", flush=True)
        for size in sizes:
            gallery = work / f"gallery-{size}"
            link_subset(files, gallery, size)
            row = measure_size(root, gallery, work / f"project-{size}", size)
            print(
                json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}),
                flush=True,
            )
            rows.append(row)
    given = argv if argv is not None else sys.argv[1:]
    command = " ".join(
        [
            "PYTHONPATH=src:benchmarks python benchmarks/crawl_load.py",
            *(a for a in given if a != "--write-docs"),
        ]
    )
    body = report(rows, source, command)
    print(body)
    if args.write_docs:
        heading = "Crawl and extraction under load"
        write_section(root / "docs" / "benchmarks.md", "crawl_load", heading, body)


if __name__ == "__main__":
    main()
