import sys

try:
    from tui.cli import main
except KeyboardInterrupt:  # Ctrl-C while Python is still importing: no traceback
    print("mnist-tui: interrupted (SIGINT)", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
