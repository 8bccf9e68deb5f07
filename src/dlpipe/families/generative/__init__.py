"""The generative chapter's stages, one module each: the judge (a digit classifier), the VAE and
the GAN, all on fetch_mnist's images (MNIST, or any IDX set it is pointed at)."""

FAMILY = "generative"
MNIST = "data/raw/mnist.npz"
REPORTS = "reports/generative"
CLASSIFIER_FILE = "models/digit_classifier/model.pt"


def trained_on(images: int, train_limit: int) -> int:
    """How many training images a model saw: `train_limit` of them when set (0 = all)."""
    return min(images, train_limit) if train_limit > 0 else images
