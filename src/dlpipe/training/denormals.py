"""Flushing denormal floats to zero on every thread torch computes on, for a while.

x86 takes a slow microcode path for every operation on a denormal (below 1.2e-38 in float32).
`torch.set_flush_denormal` sets FTZ/DAZ on the calling thread only, and OpenMP's worker threads
copy the floating-point mode of the thread that starts them, once: workers started before the
switch keep the slow path, so with two threads half the work stays slow (measured: a VAE epoch
took 4.6-5.0 s on two threads against 4.3 s on one). Pausing OpenMP
(`omp_pause_resource_all`, OpenMP 5.0; GNU and LLVM runtimes) ends the workers; the next
parallel region starts new ones, which copy the mode that holds then.
"""

from __future__ import annotations

import ctypes
import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

log = logging.getLogger(__name__)

OMP_PAUSE_HARD = 2  # omp_pause_hard: free the worker threads too
_RUNTIMES = ("libgomp.so.1", "libomp.so", "libiomp5.so", "libomp.dylib", "libiomp5md.dll")


@functools.cache
def _pause_function() -> Callable[[int], int] | None:
    """`omp_pause_resource_all` of the OpenMP runtime torch loaded (its own copy first: opening
    a library that is already loaded returns that one), or None when there is none."""
    torch_lib = Path(torch.__file__).parent / "lib"
    bundled = [str(torch_lib / name) for name in _RUNTIMES if (torch_lib / name).exists()]
    for library in (*bundled, *_RUNTIMES):
        try:
            return ctypes.CDLL(library).omp_pause_resource_all
        except (OSError, AttributeError):
            continue
    return None


def restart_worker_threads() -> bool:
    """End OpenMP's worker threads, so that the next parallel region starts new ones with the
    calling thread's floating-point mode. False when the runtime cannot (none found, or it said
    no): the workers then keep their mode, which is slower, not wrong."""
    if torch.get_num_threads() <= 1:
        return True  # no workers compute
    pause = _pause_function()
    if pause is None or pause(OMP_PAUSE_HARD) != 0:
        log.debug("OpenMP workers not restarted: they keep their floating-point mode")
        return False
    return True


@contextmanager
def flushed_denormals() -> Iterator[None]:
    """Treat denormal floats as zero on every thread while the block runs, then switch it off.

    The VAE's decoder learns very negative logits for the always-black background pixels, so
    their gradients fall below 1e-38: a 784-512-512-32 epoch slowed from 4.0 s to 7.9 s of CPU
    by the tenth epoch (one thread); flushed, it stays at 4.0 s, with the same ELBO. torch
    cannot read the mode back, so on exit it is restored to torch's default, off, on the workers
    too (later stages' numbers must not depend on whether a VAE trained first).
    """
    torch.set_flush_denormal(True)
    restart_worker_threads()
    try:
        yield
    finally:
        torch.set_flush_denormal(False)
        restart_worker_threads()
