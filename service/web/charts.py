"""Geometry of the server-rendered SVG charts (vertical and horizontal bars).

Each function turns plain numbers into positions in a fixed viewBox; the templates only draw
them (`_macros.html`), so pages need no chart library and no script, and the numbers are
also shown in a table beside each chart for screen readers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass

Format = Callable[[float], str]
#: Room one label under a bar needs; labels of narrower bars are thinned out.
LABEL_PIXELS = 56


def plain(value: float) -> str:
    """Format a tick: whole numbers without decimals, others with one."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


@dataclass(frozen=True)
class Tick:
    position: float
    text: str

    @property
    def x(self) -> float:
        """Return the position on a horizontal axis."""
        return self.position

    @property
    def y(self) -> float:
        """Return the position on a vertical axis."""
        return self.position


@dataclass(frozen=True)
class Item:
    """One value to draw: its label, a tooltip, a CSS class and an optional target marker."""

    label: str
    value: float | None
    title: str = ""
    css: str = ""
    marker: float | None = None


@dataclass(frozen=True)
class Bar:
    label: str
    title: str
    css: str
    x: float
    y: float
    width: float
    height: float
    marker: float | None


@dataclass(frozen=True)
class Frame:
    """The viewBox of a chart and the margins (`left/right/top/bottom`) around its plot."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int


@dataclass(frozen=True)
class BarChart(Frame):
    """Bars with their ticks."""

    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Return at most `count`+1 evenly spaced round tick values from 0 up to at least `top`."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    steps = math.ceil(round(top / step, 9))
    return [round(step * i, 10) for i in range(steps + 1)]


def bar_chart(
    items: Sequence[Item],
    *,
    width: int = 640,
    height: int = 220,
    y_max: float | None = None,
    ticks: Sequence[tuple[float, str]] | None = None,
    left: int = 44,
    fmt: Format = plain,
) -> BarChart:
    """Lay out vertical bars, one per item, on a 0..y_max scale (markers on the same scale).

    `ticks` names the y ticks as (value, text) pairs; by default they are round numbers.
    Labels under the bars are thinned out so they never overlap.
    """
    right, top, bottom = 12, 12, 28
    if ticks is None:
        rounded = nice_ticks(y_max or _largest(items))
        ticks, y_max = [(t, fmt(t)) for t in rounded], rounded[-1]
    scale = _scale(y_max or max(value for value, _ in ticks) or 1.0, height - top - bottom)
    slot = (width - left - right) / max(len(items), 1)
    every = max(1, math.ceil(LABEL_PIXELS / slot))
    bars = tuple(
        Bar(
            label=item.label if i % every == 0 else "",
            title=item.title or item.label,
            css=item.css,
            x=round(left + slot * i + slot * 0.15, 1),
            y=round(height - bottom - scale(item.value or 0.0), 1),
            width=round(slot * 0.7, 1),
            height=round(scale(item.value or 0.0), 1),
            marker=None if item.marker is None else round(height - bottom - scale(item.marker), 1),
        )
        for i, item in enumerate(items)
    )
    ticks_at = tuple(Tick(round(height - bottom - scale(v), 1), text) for v, text in ticks)
    return BarChart(width, height, left, right, top, bottom, bars, ticks_at)


def hbar_chart(
    items: Sequence[Item],
    *,
    width: int = 640,
    x_max: float | None = None,
    row: int = 26,
    left: int = 220,
    fmt: Format = plain,
) -> BarChart:
    """Lay out horizontal bars, one row per item (labels on the left)."""
    right, top, bottom = 16, 8, 24
    height = top + bottom + row * max(len(items), 1)
    ticks = nice_ticks(x_max or _largest(items))
    scale = _scale(ticks[-1], width - left - right)
    bars = tuple(
        Bar(
            label=item.label,
            title=item.title or item.label,
            css=item.css,
            x=left,
            y=top + row * i + row * 0.15,
            width=round(scale(item.value or 0.0), 1),
            height=round(row * 0.7, 1),
            marker=None if item.marker is None else round(left + scale(item.marker), 1),
        )
        for i, item in enumerate(items)
    )
    ticks_at = tuple(Tick(round(left + scale(t), 1), fmt(t)) for t in ticks)
    return BarChart(width, height, left, right, top, bottom, bars, ticks_at)


def _largest(items: Sequence[Item]) -> float:
    values = [v for item in items for v in (item.value, item.marker) if v is not None]
    return max(values, default=1.0) or 1.0


def _scale(top: float, pixels: float) -> Callable[[float], float]:
    return lambda value: max(0.0, min(value, top)) / top * pixels


@dataclass(frozen=True)
class Dot:
    """One point of a line, placed, with its tooltip."""

    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Line:
    """A series drawn as a polyline through its dots (`points` is the SVG attribute)."""

    label: str
    css: str
    points: str
    dots: tuple[Dot, ...]


@dataclass(frozen=True)
class Series:
    """Values to draw as one line: (x, y) pairs in data units, with a tooltip per point."""

    label: str
    points: Sequence[tuple[float, float]]
    css: str = ""
    titles: Sequence[str] = ()


@dataclass(frozen=True)
class LineChart(Frame):
    """Lines on a unit square (probabilities and rates), with ticks on both axes."""

    lines: tuple[Line, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    x_label: str
    y_label: str


def unit_line_chart(
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    size: int = 360,
    fmt: Format = plain,
) -> LineChart:
    """Lay out lines on 0..1 x 0..1 (calibration and ROC curves), square plot area.

    Values outside 0..1 are clipped to the frame.
    """
    left, right, top, bottom = 48, 12, 12, 44
    width, height = size + left + right, size + top + bottom
    scale = _scale(1.0, size)

    def at(x: float, y: float) -> tuple[float, float]:
        return round(left + scale(x), 1), round(top + size - scale(y), 1)

    lines = []
    for one in series:
        placed = [at(x, y) for x, y in one.points]
        titles = list(one.titles) or [f"{fmt(x)}, {fmt(y)}" for x, y in one.points]
        dots = tuple(Dot(x, y, t) for (x, y), t in zip(placed, titles, strict=True))
        points = " ".join(f"{x},{y}" for x, y in placed)
        lines.append(Line(one.label, one.css, points, dots))
    ticks = [i / 5 for i in range(6)]
    return LineChart(
        width, height, left, right, top, bottom,
        lines=tuple(lines),
        x_ticks=tuple(Tick(at(t, 0)[0], fmt(t)) for t in ticks),
        y_ticks=tuple(Tick(at(0, t)[1], fmt(t)) for t in ticks),
        x_label=x_label,
        y_label=y_label,
    )  # fmt: skip
