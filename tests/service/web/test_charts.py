"""Geometry of the server-rendered SVG charts."""

from __future__ import annotations

import pytest

from service.web.charts import Item
from service.web.charts import Series
from service.web.charts import bar_chart
from service.web.charts import hbar_chart
from service.web.charts import nice_ticks
from service.web.charts import unit_line_chart


@pytest.mark.parametrize("top", [0.3, 1, 5, 7, 20, 95, 1234, 0.05])
def test_nice_ticks_start_at_zero_and_cover_the_top(top: float) -> None:
    ticks = nice_ticks(top)
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert ticks[0] == 0
    assert ticks[-1] >= top
    assert len(steps) == 1  # evenly spaced
    assert ticks[-2] < top  # no empty step above the data


@pytest.mark.parametrize("top", [0, -3, float("nan"), float("inf")])
def test_nice_ticks_survive_degenerate_tops(top: float) -> None:
    assert nice_ticks(top) == [0.0, 1.0]


def test_bar_heights_are_proportional_and_share_a_baseline() -> None:
    chart = bar_chart([Item("a", 2), Item("b", 4), Item("c", 0)], y_max=4)
    heights = [bar.height for bar in chart.bars]
    bottoms = {round(bar.y + bar.height, 1) for bar in chart.bars}
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.1)
    assert heights[2] == 0
    assert len(bottoms) == 1
    assert chart.bars[1].y == chart.top  # the largest bar reaches the top of the plot


def test_bar_values_above_the_scale_are_clipped() -> None:
    chart = bar_chart([Item("a", 10)], y_max=4)
    assert chart.bars[0].y == chart.top


def test_marker_is_drawn_at_its_value() -> None:
    chart = bar_chart([Item("a", 1, marker=4)], y_max=4)
    assert chart.bars[0].marker == chart.top


def test_named_ticks_are_placed_on_the_scale() -> None:
    chart = bar_chart([Item("a", 1)], y_max=4, ticks=[(0, "low"), (4, "high")])
    assert [t.text for t in chart.ticks] == ["low", "high"]
    assert chart.ticks[1].y == chart.top
    assert chart.ticks[0].y == chart.height - chart.bottom


def test_crowded_labels_are_thinned_out() -> None:
    items = [Item(f"2025-{m:02d}", m) for m in range(1, 41)]
    chart = bar_chart(items, width=640)
    shown = [bar.label for bar in chart.bars if bar.label]
    assert 1 < len(shown) < len(items)
    assert shown[0] == "2025-01"
    assert len(chart.bars) == len(items)


def test_horizontal_bars_grow_with_rows() -> None:
    few = hbar_chart([Item("a", 1)], x_max=2)
    many = hbar_chart([Item(str(i), i) for i in range(10)], x_max=10)
    assert many.height > few.height
    assert few.bars[0].width == pytest.approx((few.width - few.left - few.right) / 2, abs=0.1)


def test_line_chart_places_points_on_the_unit_square() -> None:
    chart = unit_line_chart(
        [Series("m", [(0.0, 0.0), (0.5, 0.25), (1.0, 1.0), (1.5, -1.0)], titles=list("abcd"))],
        x_label="x",
        y_label="y",
        size=360,
    )
    left, top, size = chart.left, chart.top, 360
    dots = [(dot.x, dot.y) for dot in chart.lines[0].dots]
    assert dots[0] == (left, top + size)  # the origin is bottom left
    assert dots[1] == (left + 180, top + size - 90)
    assert dots[2] == (left + size, top)
    assert dots[3] == (left + size, top + size)  # outside 0..1: clipped to the frame
    assert chart.lines[0].points.split()[1] == f"{left + 180.0},{top + size - 90.0}"
    assert [dot.title for dot in chart.lines[0].dots] == list("abcd")
    assert [tick.text for tick in chart.x_ticks] == ["0", "0.2", "0.4", "0.6", "0.8", "1"]
    assert chart.y_ticks[0].y == top + size and chart.y_ticks[-1].y == top
