"""Denormals are flushed on torch's worker threads too, and only inside the block.

Runs in a fresh interpreter: the check needs OpenMP workers that started before the block (the
case `torch.set_flush_denormal` alone gets wrong), and two threads whatever the suite set.
"""

from __future__ import annotations

import json
import subprocess
import sys

import torch

PROBE = """
import json, torch
from dlpipe.training.denormals import flushed_denormals

torch.set_num_threads(2)
torch.ones(4_000_000).mul_(2)  # OpenMP starts its worker now, before any flushing

def kept():  # denormal products left (not flushed): the workers' share and the caller's
    return int(((torch.full((4_000_000,), 1e-20) * 1e-20) != 0).sum())

before = kept()
with flushed_denormals():
    inside = kept()
after = kept()
print(json.dumps({"before": before, "inside": inside, "after": after}))
"""


def test_every_thread_flushes_inside_the_block_and_none_after() -> None:
    assert torch.set_flush_denormal(False), "this CPU cannot flush denormals (no SSE3)"
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts == {"before": 4_000_000, "inside": 0, "after": 4_000_000}, counts
