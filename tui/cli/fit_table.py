"""Tables that fit the terminal (80 columns, or 80 whenever output is piped): the least important
columns go first, the rest keep their natural width, and only free-text columns fold.

Rich shrinks every column at once when a table is too wide, which emptied the id column and
squeezed the network to nothing; here the id never shrinks and a caption names what was left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text

FOLDED_MIN = 14
"""A folding column (network, options) is given at least this many characters."""


@dataclass(frozen=True)
class FitColumn:
    name: str
    justify: str = "left"
    keep: int = 0
    """Higher is kept longer; the lowest goes first (the rightmost of equals)."""
    fold: bool = False
    """Free text that may fold onto more lines (otherwise the column never wraps or shrinks)."""
    fold_min: int = FOLDED_MIN
    """The narrowest a folding column may get (the network keeps room for `784-64-64-10 relu`)."""


def fitted_table(columns: list[FitColumn], rows: list[list[Text]], width: int, **table_args) -> Table:
    """A Rich Table of the columns that fit in `width` characters, in their order."""
    natural = [max([len(c.name), *(row[i].cell_len for row in rows)]) for i, c in enumerate(columns)]

    def needed(kept: list[int]) -> int:  # each column: its text, 2 of padding, 1 of border; 1 for the left edge
        return 1 + sum(min(natural[i], columns[i].fold_min) if columns[i].fold else natural[i] for i in kept) + 3 * len(kept)

    kept = list(range(len(columns)))
    while needed(kept) > width and len(kept) > 1:
        kept.remove(min(reversed(kept), key=lambda i: columns[i].keep))
    left_out = [columns[i].name for i in range(len(columns)) if i not in kept]
    if left_out:
        table_args.setdefault("caption", f"left out at {width} columns: {', '.join(left_out)} "
                                         "(a wider terminal or --json shows them)")
    table = Table(**table_args)
    for i in kept:
        column = columns[i]
        if column.fold:
            table.add_column(column.name, justify=column.justify, overflow="fold", min_width=min(natural[i], column.fold_min))
        else:
            table.add_column(column.name, justify=column.justify, no_wrap=True, min_width=natural[i])
    for row in rows:
        table.add_row(*(row[i] for i in kept))
    return table
