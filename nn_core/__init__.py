"""From-scratch NumPy engine for fully connected MNIST classifiers."""
