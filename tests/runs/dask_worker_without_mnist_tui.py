"""`dask worker --preload` file: this worker cannot import mnist-tui, as on a machine without it."""

import importlib.abc
import sys


class _NoMnistTui(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("data", "nn_core", "runs", "tui"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NoMnistTui())
