"""MNIST-format datasets: IDX files, where they come from, and train/validation/test splits."""
