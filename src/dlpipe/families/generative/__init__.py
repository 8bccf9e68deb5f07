"""The generative chapter's stages, one module each: the judge (a digit classifier), the VAE and
the GAN, all on fetch_mnist's images (MNIST, or any IDX set it is pointed at)."""

FAMILY = "generative"
MNIST = "data/raw/mnist.npz"
REPORTS = "reports/generative"
CLASSIFIER_FILE = "models/digit_classifier/model.pt"
