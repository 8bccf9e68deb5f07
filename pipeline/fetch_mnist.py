"""DVC stage fetch_mnist: MNIST from a pinned, checksummed source into data/raw/mnist.npz."""

from dlpipe.families.mnist import fetch_mnist
from dlpipe.stage import StageSpec, run_stage

SPEC = StageSpec(
    name="fetch_mnist",
    family="mnist",
    params=("mnist",),
    outputs=("data/raw/mnist.npz", "reports/data/mnist.json"),
    tracked=False,
)

if __name__ == "__main__":
    run_stage(SPEC, fetch_mnist)
