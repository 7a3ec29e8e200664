"""`mnist-tui data download|verify|info`: get, check and describe a dataset without the dashboard.

Data errors end in one clean message on stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from data.errors import DataError
from data.registry import DATASETS, DatasetSpec, get_spec
from tui.safe_text import plain


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("data", help="download, verify or describe a dataset")
    actions = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    for name, handler, help_text in (
        ("download", _download, "download the dataset into the user cache (or --data-dir)"),
        ("verify", _verify, "re-hash each file and report good or bad"),
        ("info", _info, "show where the dataset comes from, file sizes and examples per class"),
    ):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("--dataset", choices=tuple(DATASETS), default="mnist", help="default: mnist")
        action.add_argument(
            "--data-dir", metavar="DIR", help="folder holding the four files (for download: where to put them)"
        )
        action.set_defaults(handler=_guarded(handler))


def _guarded(handler):
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except DataError as e:
            print(plain(f"error: {e}", multiline=True), file=sys.stderr)
            return 1

    return run


def _download(args: argparse.Namespace) -> int:
    from data.download import download_dataset
    from data.loader import load_dataset
    from data.sources import locate

    spec = get_spec(args.dataset)
    if args.data_dir is None:
        try:
            source = locate(spec)
        except DataError:
            pass
        else:
            print(plain(f"{spec.name} is already available ({source.describe()}); nothing to download"))
            return 0
    with _ProgressBar() as progress:
        folder = download_dataset(spec, args.data_dir, progress=progress)
        load_dataset(spec.name, folder, download=False, progress=progress)
    print(plain(f"{spec.name}: four verified files in {folder}"))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from data.loader import decode_verified
    from data.sources import locate

    spec = get_spec(args.dataset)
    source = locate(spec, args.data_dir)
    print(plain(f"{spec.name} from {source.describe()}"))
    bad = []
    for role, path in source.files.items():
        expected = spec.sha256[spec.files[role]]
        try:
            decode_verified(path, spec.file_kind(role), expected, spec.content_size(role))
        except DataError as e:
            bad.append(path.name)
            print(plain(f"BAD   {path.name}: {str(e).replace(f'{path}: ', '')}"))
        else:
            print(plain(f"good  {path.name}  sha256 {expected}"))
    if bad:
        print(plain(f"error: {len(bad)} bad file(s): {', '.join(bad)}"), file=sys.stderr)
        return 1
    print(f"all {len(source.files)} files good")
    return 0


def _info(args: argparse.Namespace) -> int:
    from data.loader import load_dataset

    spec = get_spec(args.dataset)
    dataset = load_dataset(spec.name, args.data_dir, download=False)
    print(f"{spec.title} ({spec.name})")
    print(plain(f"source  {dataset.source.describe()}"))
    for role, path in dataset.source.files.items():
        print(f"  {plain(path.name):<28} {_size(path):>12}  {len(getattr(dataset, role)):>6} {spec.file_kind(role)}")
    _print_counts(spec, dataset.class_counts("train"), dataset.class_counts("test"))
    return 0


def _print_counts(spec: DatasetSpec, train, test) -> None:
    width = max(len(name) for name in spec.class_names)
    print(f"{'class':<{width + 4}} {'train':>6} {'test':>6}")
    for label, name in enumerate(spec.class_names):
        print(f"{label:<3} {name:<{width}} {train[label]:>6} {test[label]:>6}")
    print(f"{'total':<{width + 4}} {train.sum():>6} {test.sum():>6}")


def _size(path: Path) -> str:
    return f"{path.stat().st_size:,} B"


class _ProgressBar:
    """A rich progress bar with one task per stage; usable as the data layer's progress callback."""

    def __enter__(self):
        from rich.progress import (
            BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
            TimeRemainingColumn(), transient=False,
        )
        self.tasks: dict[str, int] = {}
        self.bar.__enter__()
        return self

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if not stage.startswith("download"):
            return
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage, total=total)
        self.bar.update(self.tasks[stage], completed=done, total=total)

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)
