"""`mnist-tui train`: placeholder until its issue lands."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("train", help="(not yet available)")
    parser.set_defaults(handler=lambda args: 1)
