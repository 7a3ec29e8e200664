"""Parallel-coordinates geometry: axis scaling, line rasterisation, and the drawn cell grid."""

from __future__ import annotations

import math

import pytest

from tui.parallel_layout import AXIS, BRAILLE, TICK, Axis, Line, axis_columns, draw, fanned, raster, row_of
from tui.widgets.parallel_coords import SCALE, scale_colour


def test_categories_spread_evenly_in_given_order_and_numbers_sorted():
    axis = Axis.category("optimizer", ["sgd", "momentum", "sgd"])
    assert axis.categories == ("sgd", "momentum")
    assert [axis.position(v) for v in ("sgd", "momentum", "adam")] == [0.0, 1.0, None]
    layers = Axis.category("hidden-layers", [2, 0, 1])
    assert [layers.position(v) for v in (0, 1, 2)] == [0.0, 0.5, 1.0]
    assert Axis.category("seed", [3]).position(3) == 0.5


def test_numeric_axes_scale_linearly_or_logarithmically():
    lr = Axis.numeric("lr", [0.001, 0.1, 0.01], log=True)
    assert (lr.low, lr.high) == (0.001, 0.1)
    assert lr.position(0.01) == pytest.approx(0.5)
    assert lr.position(0.1) == pytest.approx(1.0)
    assert lr.position(0.0) is None and lr.position("x") is None
    linear = Axis.numeric("acc", [0.9, 0.95, 1.0])
    assert linear.position(0.95) == pytest.approx(0.5)
    assert linear.position(2.0) == 1.0 and linear.position(0.0) == 0.0  # clamped
    single = Axis.numeric("acc", [0.97], percent=True)
    assert single.low < 0.97 < single.high
    assert single.text(0.97) == "97.00%"


def test_rows_and_columns_map_the_ends_to_the_edges():
    assert row_of(1.0, 10) == 0 and row_of(0.0, 10) == 9 and row_of(0.5, 10) in (4, 5)
    columns = axis_columns(4, 81, 10)
    assert columns[0] == 0 and columns[-1] == 70
    gaps = {b - a for a, b in zip(columns, columns[1:])}
    assert max(gaps) - min(gaps) <= 1
    assert axis_columns(1, 40, 5) == [0]


@pytest.mark.parametrize("end", [(9, 3), (3, 9), (0, 7), (7, 0), (-5, -2), (4, 4)])
def test_raster_is_a_connected_path_between_the_end_points(end):
    points = raster(0, 0, *end)
    assert points[0] == (0, 0) and points[-1] == end
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        assert max(abs(x1 - x0), abs(y1 - y0)) == 1
    assert len(points) == max(abs(end[0]), abs(end[1])) + 1  # no point twice, none skipped
    assert set(raster(*end, 0, 0)) <= {(x, y) for x in range(min(0, end[0]), max(0, end[0]) + 1)
                                       for y in range(min(0, end[1]), max(0, end[1]) + 1)}


def _chars(grid, row):
    return "".join(cell.char for cell in grid[row])


def test_draw_puts_axes_labels_names_and_a_rising_line_in_braille():
    axes = [Axis.category("opt", ["sgd", "mom"]), Axis.numeric("val acc", [0.9, 1.0], percent=True)]
    grid = draw(axes, [Line((0.0, 1.0), 0.99)], width=40, height=9)
    rows = 8
    first, last = 0, 40 - 1 - (len("100.00%") + 1)
    for row in range(rows):
        assert grid[row][first].char in (AXIS, TICK) and grid[row][last].char in (AXIS, TICK)
    assert _chars(grid, rows - 1)[first:first + 4] == TICK + "sgd"  # bottom category labelled at the bottom
    assert _chars(grid, 0)[first:first + 4] == TICK + "mom"
    assert _chars(grid, 0)[last:].rstrip() == TICK + "100.00%"
    assert _chars(grid, rows)[first:first + 3] == "opt" and _chars(grid, rows)[last:last + 7] == "val acc"
    line = [(r, c) for r in range(rows) for c in range(40) if grid[r][c].kind == "line"]
    assert line and all(grid[r][c].value == 0.99 and ord(grid[r][c].char) > BRAILLE for r, c in line)
    # it rises from the bottom left to the top right (the labels hide its first cells): the rows
    # it covers fall as the columns grow
    by_column = {}
    for r, c in line:
        by_column.setdefault(c, []).append(r)
    columns = sorted(by_column)
    assert max(by_column[columns[0]]) >= rows - 2 and min(by_column[columns[-1]]) == 0
    assert all(min(by_column[a]) >= max(by_column[b]) - 1 for a, b in zip(columns, columns[1:]))


def test_where_lines_cross_the_best_is_on_top_and_the_selected_above_all():
    axes = [Axis.category("x", ["a"]), Axis.numeric("acc", [0.5, 0.9])]
    lines = [Line((0.5, 0.5), 0.9), Line((0.5, 0.5), 0.5)]  # the same path, better one given first
    for given in (lines, lines[::-1]):
        cells = [c for row in draw(axes, given, 30, 6) for c in row if c.kind == "line"]
        assert cells and {c.value for c in cells} == {0.9}
    chosen = [lines[0], Line((0.5, 0.5), 0.5, emphasis=True)]
    cells = [c for row in draw(axes, chosen, 30, 6) for c in row if c.kind == "line"]
    assert all(c.emphasis and c.value == 0.5 for c in cells)


def test_a_trial_without_a_value_on_an_axis_has_no_segment_there():
    axes = [Axis.category("a", [1, 2]), Axis.category("b", ["x"]), Axis.numeric("acc", [0.5, 0.9])]
    grid = draw(axes, [Line((0.0, 0.5, None), None)], 60, 10)
    columns = axis_columns(3, 60, len("0.9") + 1)
    line_columns = {c for row in grid for c, cell in enumerate(row) if cell.kind == "line"}
    assert line_columns and max(line_columns) < columns[1]


def test_too_small_or_empty_grids_draw_nothing():
    assert all(c.kind == "blank" for row in draw([], [], 10, 5) for c in row)
    assert all(c.kind == "blank" for row in draw([Axis.category("a", [1])], [], 10, 1) for c in row)


def test_the_colour_scale_runs_from_its_first_to_its_last_stop_and_clamps():
    assert scale_colour(0.0) == SCALE[0] and scale_colour(1.0) == SCALE[-1]
    assert scale_colour(-3) == SCALE[0] and scale_colour(7) == SCALE[-1]
    middle = scale_colour(0.5)
    assert middle == SCALE[len(SCALE) // 2]
    assert not any(math.isnan(v) for v in middle)


def test_lines_fan_out_within_a_category_by_rank_and_numeric_axes_do_not():
    axis = Axis.category("opt", ["sgd", "momentum", "adam"])
    low, high = fanned(axis, "momentum", 0.0), fanned(axis, "momentum", 1.0)
    assert low < 0.5 < high and high - low == pytest.approx(0.5 / 4)
    assert fanned(axis, "adam", 1.0) == 1.0  # clamped to the axis
    assert fanned(axis, "other", 0.3) is None
    numbers = Axis.numeric("lr", [0.1, 0.3])
    assert fanned(numbers, 0.2, 0.0) == fanned(numbers, 0.2, 1.0) == pytest.approx(0.5)
