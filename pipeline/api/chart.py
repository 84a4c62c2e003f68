"""The overview's chart, laid out on the server as an inline SVG: stacked bars of events per month.

No JavaScript and no chart library: the page computes rectangles and labels here and the template draws
them. Colours come from CSS classes (``series-N``), so the strict style-src CSP needs no inline style, and
every bar carries a ``<title>`` (its month, series and count) for pointer and screen-reader users; the
page also prints the same numbers as a table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH = 720
HEIGHT = 260
MARGIN_LEFT = 40
MARGIN_RIGHT = 10
MARGIN_TOP = 12
MARGIN_BOTTOM = 36
MAX_SERIES = 7  # then "other"
OTHER = "other"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    label: str  # "2025-06: ban, 3 events"


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass
class Chart:
    title: str
    periods: list[str]
    series: list[str]
    counts: dict[str, dict[str, int]]  # period -> series -> count
    bars: list[Bar] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = MARGIN_LEFT
    plot_bottom: int = HEIGHT - MARGIN_BOTTOM

    @property
    def empty(self) -> bool:
        return not self.bars

    def total(self, period: str) -> int:
        return sum(self.counts.get(period, {}).values())

    def rows(self) -> list[tuple[str, list[int], int]]:
        """(period, count per series, total) for the data table."""
        return [(p, [self.counts.get(p, {}).get(s, 0) for s in self.series], self.total(p)) for p in self.periods]


def stacked_chart(title: str, periods: list[str], counts: dict[str, dict[str, int]], *, noun: str = "events") -> Chart:
    """A stacked bar chart of ``counts`` (period -> series -> count) over ``periods`` in order.

    The biggest series get their own colour; the rest are summed as "other".
    """
    totals: dict[str, int] = {}
    for by_series in counts.values():
        for name, count in by_series.items():
            totals[name] = totals.get(name, 0) + count
    ranked = sorted(totals, key=lambda name: (-totals[name], name))
    keep = ranked if len(ranked) <= MAX_SERIES + 1 else ranked[:MAX_SERIES]
    folded: dict[str, dict[str, int]] = {}
    for period in periods:
        row: dict[str, int] = {}
        for name, count in counts.get(period, {}).items():
            key = name if name in keep else OTHER
            row[key] = row.get(key, 0) + count
        folded[period] = row
    series = keep + ([OTHER] if len(keep) < len(ranked) else [])
    chart = Chart(title=title, periods=periods, series=series, counts=folded)
    highest = max((chart.total(p) for p in periods), default=0)
    if not periods or highest == 0:
        return chart
    top = _nice_ceiling(highest)
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_width / len(periods)
    bar_width = max(2.0, slot * 0.7)
    every = max(1, round(len(periods) / 12))  # at most ~12 month labels
    for index, period in enumerate(periods):
        x = MARGIN_LEFT + index * slot + (slot - bar_width) / 2
        base = float(HEIGHT - MARGIN_BOTTOM)
        for number, name in enumerate(series):
            count = folded[period].get(name, 0)
            if not count:
                continue
            height = plot_height * count / top
            base -= height
            chart.bars.append(Bar(round(x, 1), round(base, 1), round(bar_width, 1), round(height, 1), number,
                                  f"{period}: {name.replace('_', ' ')}, {count} {noun}"))
        if index % every == 0:
            chart.x_ticks.append(Tick(round(x + bar_width / 2, 1), period))
    for step in range(5):
        value = top * step / 4
        chart.y_ticks.append(Tick(round(HEIGHT - MARGIN_BOTTOM - plot_height * step / 4, 1), f"{value:g}"))
    return chart


def _nice_ceiling(value: int) -> int:
    """The smallest of 4, 8, 12, 20, 40 ... times a power of ten that is at least ``value`` (clean quarters)."""
    scale = 1
    while True:
        for step in (4, 8, 12, 20, 40, 60, 80):
            if step * scale >= value:
                return step * scale
        scale *= 10
