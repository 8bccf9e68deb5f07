"""Which process this is when training runs on several devices (DDP), from the environment only.

Lightning's `ddp` strategy starts the stage script again for each extra device (setting
LOCAL_RANK, NODE_RANK, WORLD_SIZE, MASTER_ADDR/PORT); torchrun and SLURM's srun start every
process themselves. Each copy runs the whole stage, so what must happen once (MLflow runs,
outputs) happens on global rank zero only. The rank is read from the environment, so it is known
before any Trainer exists. Light (the standard library and psutil): light commands and
`tracking` import it.

It also says who owns a run or a temporary output (`Owner`: host, pid, start time), so that the
next run of a SIGKILLed stage can close the MLflow runs and remove the temporary outputs that a
process that is gone left behind. A pid alone would not do (pids are reused), hence the start
time; and a process is never judged from another host (machines may share a folder or a server).
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass

START_TOLERANCE_S = 1.0  # psutil's start times are exact to a clock tick; a reused pid starts later


def global_rank(environ: Mapping[str, str] | None = None) -> int:
    """This process's global rank: 0 for a plain run and for the process that launched the others.

    In order: RANK (torchrun, torch.distributed); LOCAL_RANK / NODE_RANK (GROUP_RANK under
    torchrun) as Lightning's launcher sets them, with LOCAL_WORLD_SIZE processes per node;
    SLURM_PROCID (srun). Where the launcher does not say how many processes a node runs (Lightning's
    launcher on a node > 0), the number returned is only known to be > 0, which is all the callers
    ask: "am I global rank zero?".
    """
    env = os.environ if environ is None else environ
    if "RANK" in env:
        return _int(env, "RANK")
    if any(key in env for key in ("LOCAL_RANK", "NODE_RANK", "GROUP_RANK")):
        local = _int(env, "LOCAL_RANK")
        node = _int(env, "NODE_RANK") if "NODE_RANK" in env else _int(env, "GROUP_RANK")
        per_node = _int(env, "LOCAL_WORLD_SIZE") if "LOCAL_WORLD_SIZE" in env else local + 1
        return node * max(per_node, 1) + local
    # After LOCAL_RANK: a process Lightning launched inside a SLURM allocation inherits
    # SLURM_PROCID=0 from its parent.
    return _int(env, "SLURM_PROCID")


def is_global_zero(environ: Mapping[str, str] | None = None) -> bool:
    """True in the one process that opens MLflow runs and writes the stage's outputs."""
    return global_rank(environ) == 0


def leave_process_group() -> None:
    """Wait for every rank, then close the DDP process group, when this process is in one.

    The stage runner calls it at the end, so the launching process (rank zero) exits only after
    the others have cleaned up. Without an initialised group (every run without DDP) it does
    nothing; torch is not imported here, so light stages never pay for it.
    """
    dist = sys.modules.get("torch.distributed")
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return
    if dist.get_backend() == "nccl":
        import torch

        dist.barrier(device_ids=[torch.cuda.current_device()])
    else:
        dist.barrier()
    dist.destroy_process_group()


def _int(env: Mapping[str, str], key: str) -> int:
    value = env.get(key, "0").strip() or "0"
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"environment variable {key}={value!r} is not an integer rank") from None


@dataclass(frozen=True)
class Owner:
    """A process: the host it runs on, its pid, and when it started (seconds since the epoch)."""

    host: str
    pid: int
    started: float


def this_process() -> Owner:
    """The calling process."""
    import psutil

    process = psutil.Process()
    return Owner(host=socket.gethostname(), pid=process.pid, started=process.create_time())


def is_gone(owner: Owner) -> bool:
    """True only when `owner` ran on this host and no live process has its pid and start time.

    A process of another host, or one this user may not inspect, counts as alive: what it owns
    is left alone.
    """
    import psutil

    if owner.host != socket.gethostname():
        return False
    try:
        process = psutil.Process(owner.pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return True  # killed, not yet reaped by its parent
        started = process.create_time()
    except psutil.NoSuchProcess:
        return True
    except psutil.AccessDenied:
        return False
    return abs(started - owner.started) > START_TOLERANCE_S
