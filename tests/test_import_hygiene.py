"""The layers below the dashboard must not pull in Textual (arrows point tui -> runs -> core)."""

import subprocess
import sys


def test_core_layers_do_not_import_textual():
    code = (
        "import sys, data, nn_core, runs, tui.cli\n"
        "import pkgutil, importlib\n"
        "for pkg in (data, nn_core, runs):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "print('textual' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
