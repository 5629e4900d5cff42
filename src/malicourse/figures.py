"""Plotting functions: data in, a :class:`Chart` out (figure, one-sentence description, sources).

Figures are built with matplotlib's object-oriented API on a bare ``Figure`` (no pyplot state),
so nothing is drawn twice and nothing leaks between cells. Colours come from the Okabe-Ito
palette, which stays distinguishable for the common forms of colour blindness; lines also
differ by marker so that colour is never the only cue.

Layout without a layout engine: margins are computed from the measured width of the labels,
titles and axis labels are wrapped to the room they have, and legends sit in their own band
below the axes, so no text is cut off and a redraw costs one render, not three.

Explorers redraw often, so two figures also exist as *views* that keep their figure and only
update its artists: :class:`SpendingView` (lines, bands and markers get new data) and
:class:`TimelineView` (the timeline is drawn once; moving the date only moves its marker).
Their charts remember the SVG they rendered, so a control state seen before costs nothing.
"""

from __future__ import annotations

import base64
import html
import io
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.collections import PathCollection
from matplotlib.container import BarContainer
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.ft2font import LoadFlags
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator, ScalarFormatter

from .analysis import CURRENT_GDP_VINTAGE, MEASURES, REAL_MEASURES, what_amounts_cover

OKABE_ITO = ["#0072B2", "#D55E00", "#56B4E9", "#009E73", "#E69F00", "#CC79A7", "#000000", "#F0E442"]
ACTORS = ["UN", "France", "EU", "regional", "US", "Russia-linked", "Mali"]
ACTOR_COLOURS = dict(zip(ACTORS, OKABE_ITO, strict=False))
ACTOR_MARKERS = dict(zip(ACTORS, "osD^vPX", strict=True))
VERDICT_COLOURS = {
    "supported": "#009E73",
    "partly supported": "#E69F00",
    "contradicted": "#D55E00",
    "unverifiable": "#999999",
}
SVG_RC = {"svg.fonttype": "none", "svg.hashsalt": "malicourse"}
DPI = 90
HOLLOW_LABEL = "hollow marker: part of the year has no cost figure (the total is a floor)"


def render_svg(figure: Figure) -> str:
    """The figure as SVG with real text: sharp at any zoom, and quicker to make than a PNG."""
    buffer = io.StringIO()
    with rc_context(SVG_RC):
        figure.savefig(buffer, format="svg", metadata={"Date": None})  # same figure, same bytes
    figure.stale = False  # savefig switches the dpi to 72 and back, which marks it stale
    return buffer.getvalue()


@dataclass
class Chart:
    """A figure with what a reader needs beside it: a text description and its sources.

    The SVG is made once and kept until the figure changes. A chart made by a view for an
    explorer shares its figure with the view's other charts: ``restore`` puts the figure back
    in the state this chart shows, and its SVG is kept for good.
    """

    figure: Figure
    description: str
    sources: str
    _restore: Callable[[], None] | None = field(default=None, repr=False, compare=False)
    _svg: str | None = field(default=None, init=False, repr=False, compare=False)

    def svg(self) -> str:
        if self._svg is not None and (self._restore is not None or not self.figure.stale):
            return self._svg
        self.restore()
        self._svg = render_svg(self.figure)
        return self._svg

    def restore(self) -> None:
        """Put a shared figure back in the state this chart shows (nothing to do otherwise)."""
        if self._restore is not None:
            self._restore()

    def _repr_mimebundle_(self, include=None, exclude=None):
        encoded = base64.b64encode(self.svg().encode()).decode()
        alt = html.escape(self.description, quote=True)
        page = (
            f'<figure style="margin:0"><img src="data:image/svg+xml;base64,{encoded}" alt="{alt}"'
            ' style="max-width:100%;height:auto">'
            f"<figcaption><small>{html.escape(self.description)}<br>{html.escape(self.sources)}"
            "</small></figcaption></figure>"
        )
        return {"text/html": page, "text/plain": f"{self.description}\n{self.sources}"}


def _restorer(view, apply: Callable[[], object]) -> Callable[[], None]:
    """A chart's ``restore`` for a view: re-apply its state, unless the figure shows it already."""
    state = object()
    view._state = state

    def restore() -> None:
        if getattr(view, "_state", None) is not state:
            apply()
            view._state = state

    return restore


# --- sources -------------------------------------------------------------------------------


def source_line(
    source_ids: pd.Series,
    sources: pd.DataFrame,
    table: str,
    *,
    weights: pd.Series | Sequence[float] | None = None,
    context_ids: Iterable[str] = (),
    named: int = 3,
) -> str:
    """'Source: ...' naming first the documents behind the values shown, then counting the rest.

    Documents are ranked by the weight of the rows that cite them (e.g. the dollars or the
    personnel those rows put on the chart; by default one per row); ``context_ids`` are
    documents that only help to express a value (exchange rates, say) and come last.
    """
    cells = list(source_ids)
    weights = [1.0] * len(cells) if weights is None else [float(w) for w in weights]
    context = set(context_ids)
    totals: dict[str, list[float]] = {}  # id -> [weight, rows]; insertion order = first cited
    for cell, weight in zip(cells, weights, strict=True):
        if not isinstance(cell, str):
            continue
        for sid in dict.fromkeys(cell.split(";")):
            if sid:
                entry = totals.setdefault(sid, [0.0, 0])
                entry[0] += weight if weight == weight else 0.0  # NaN counts as nothing
                entry[1] += 1
    where = f"data/{table}.csv and data/sources.csv"
    if not totals:
        return f"Source: no rows shown (see {where})."
    order = {sid: n for n, sid in enumerate(totals)}
    ranked = sorted(
        totals, key=lambda sid: (sid in context, -totals[sid][0], -totals[sid][1], order[sid])
    )
    shown = [_document(sid, sources) for sid in ranked[:named]]
    rest = len(ranked) - len(shown)
    if rest == 0:
        return f"Source: {'; '.join(shown)} (see {where})."
    return (
        f"Source: {'; '.join(shown)}; and {rest} more: see data/sources.csv "
        f"(all {len(ranked)} are cited in data/{table}.csv)."
    )


def _document(source_id: str, sources: pd.DataFrame) -> str:
    """A document as a reader recognises it: publisher, short title and year."""
    found = sources.index[sources["source_id"].to_numpy() == source_id]
    if not len(found):
        return source_id
    row = sources.loc[found[0]]
    publisher = row.get("author_or_publisher")
    title = row.get("title")
    published = str(row.get("published") or "")
    year = f", {published[:4]}" if published[:4].isdigit() else ""
    named = publisher if isinstance(publisher, str) and publisher else source_id
    if isinstance(title, str) and title:
        named += f", “{textwrap.shorten(title, width=70, placeholder='…')}”"
    return named + year


# --- layout ----------------------------------------------------------------------------------

TITLE_PT, LABEL_PT, TICK_PT, LEGEND_PT = 12.0, 10.0, 10.0, 8.0


@lru_cache(maxsize=4096)
def _advance(char: str, weight: str) -> float:
    """How far one character moves the pen, in points per point of font size."""
    font = get_font(findfont(FontProperties(weight=weight)))
    font.set_size(100, 72)
    glyph = font.load_char(ord(char), flags=LoadFlags.NO_HINTING)
    return glyph.linearHoriAdvance / 65536 / 100


@lru_cache(maxsize=8192)
def text_width_pt(text: str, size: float = LABEL_PT, weight: str = "normal") -> float:
    """The width of ``text`` in points (widest line), with room for renderers that differ.

    The sum of the characters' advances in matplotlib's font, which is what matplotlib lays
    out give or take kerning; hinting and a browser drawing the SVG's text can make it a few
    percent wider, hence the 10% spare.
    """
    lines = str(text).split("\n")
    widest = max(sum(_advance(char, weight) for char in line) for line in lines)
    return 1.1 * widest * size + 1


def wrap(text: str, width_pt: float, size: float = LABEL_PT, weight: str = "normal") -> str:
    """``text`` broken into lines no wider than ``width_pt`` (a single long word stays whole)."""
    if text_width_pt(text, size, weight) <= width_pt:
        return text
    chars = max(8, int(len(text) * width_pt / text_width_pt(text, size, weight)))
    while True:
        lines = textwrap.wrap(text, chars, break_long_words=False) or [text]
        if chars <= 8 or all(text_width_pt(line, size, weight) <= width_pt for line in lines):
            return "\n".join(lines)
        chars -= 2


def _lines(text: str) -> int:
    return text.count("\n") + 1 if text else 0


@dataclass
class _Legend:
    """A legend in its own band below the axes, laid out here rather than by matplotlib.

    Entries run left to right in as many columns as fit the figure's width. Drawing it as a
    few lines, patches and texts costs a third of what matplotlib's ``Legend`` costs per
    render (an explorer renders on every move), and its extent is known exactly.
    """

    handles: list
    labels: list[str]
    note: tuple | None = None  # (handle, label): one more entry, on a row of its own
    HANDLE, GAP, SPACING, ROW = 16.0, 5.0, 14.0, LEGEND_PT * 1.7

    def entry_widths(self) -> list[float]:
        return [self.HANDLE + self.GAP + text_width_pt(label, LEGEND_PT) for label in self.labels]

    def columns(self, width_pt: float) -> list[float]:
        """Column widths for the most columns that fit in ``width_pt``."""
        entries = self.entry_widths()
        for ncols in range(len(entries), 0, -1):
            widths = [max(entries[c::ncols]) for c in range(ncols)]
            if sum(widths) + self.SPACING * (ncols - 1) <= width_pt:
                return widths
        return [max(entries)]

    def rows(self, width_pt: float) -> int:
        return -(-len(self.labels) // len(self.columns(width_pt))) + (self.note is not None)

    def draw(self, figure: Figure, bottom_pt: float) -> None:
        """Add the legend's artists to ``figure``, its lowest row ``bottom_pt`` above the edge."""
        width = figure.get_figwidth() * 72
        columns = self.columns(width - 16)
        rows = -(-len(self.labels) // len(columns))
        if self.note is not None:
            bottom_pt += self.ROW
        left = (width - sum(columns) - self.SPACING * (len(columns) - 1)) / 2
        starts = [left + sum(columns[:c]) + self.SPACING * c for c in range(len(columns))]
        artists = []
        for n, (handle, label) in enumerate(zip(self.handles, self.labels, strict=True)):
            x = starts[n % len(columns)]
            y = bottom_pt + (rows - 1 - n // len(columns)) * self.ROW + self.ROW / 2
            artists += self._entry(figure, handle, label, x, y)
        if self.note is not None:
            handle, label = self.note
            label = wrap(label, width - 16 - self.HANDLE - self.GAP, LEGEND_PT)
            x = (width - self.HANDLE - self.GAP - text_width_pt(label, LEGEND_PT)) / 2
            y = bottom_pt - self.ROW / 2
            artists += self._entry(figure, handle, label, x, y)
        for artist in artists:
            if artist.figure is None:
                figure.add_artist(artist)
        figure._malicourse_legend = artists

    def _entry(self, figure: Figure, handle, label: str, x: float, y: float) -> list:
        """One entry's artists: its handle at ``x`` points from the left, then its label."""
        width, height = figure.get_figwidth() * 72, figure.get_figheight() * 72
        artists = _handle(handle, x / width, (x + self.HANDLE) / width, y / height, height)
        left = (x + self.HANDLE + self.GAP) / width
        text = figure.text(left, y / height, label, fontsize=LEGEND_PT, va="center_baseline")
        return [*artists, text]


def _handle(handle, x0: float, x1: float, y: float, height_pt: float) -> list:
    """Figure-fraction artists that look like ``handle`` (a line, a marker or a colour)."""
    middle = (x0 + x1) / 2
    if isinstance(handle, Line2D):
        line = Line2D(
            [x0, x1] if handle.get_linestyle() not in ("None", "", " ") else [],
            [y, y] if handle.get_linestyle() not in ("None", "", " ") else [],
            color=handle.get_color(),
            linestyle=handle.get_linestyle(),
            linewidth=handle.get_linewidth(),
        )
        marker = Line2D(
            [middle],
            [y],
            linestyle="",
            marker=handle.get_marker(),
            markersize=min(handle.get_markersize(), 6.5),
            markerfacecolor=handle.get_markerfacecolor(),
            markeredgecolor=handle.get_markeredgecolor(),
        )
        return [line, marker]
    if isinstance(handle, PathCollection):
        face, edge = handle.get_facecolor(), handle.get_edgecolor()
        return [
            Line2D(
                [middle],
                [y],
                linestyle="",
                marker="o",
                markersize=6.5,
                markerfacecolor=face[0] if len(face) else "none",
                markeredgecolor=edge[0] if len(edge) else "none",
            )
        ]
    patch = handle.patches[0] if isinstance(handle, BarContainer) else handle
    half = 3.5 / height_pt
    return [Rectangle((x0, y - half), x1 - x0, 2 * half, facecolor=patch.get_facecolor(), lw=0)]


def _frame(
    figure: Figure,
    ax,
    *,
    title: str,
    xlabel: str = "",
    ylabel: str = "",
    ytick_labels: Iterable[str] = (),
    ytick_room: str = "0000",
    legend: _Legend | None = None,
    title_weight: str = "normal",
) -> None:
    """Set title and axis labels, wrapped to fit, and margins that leave room for all text."""
    width, height = figure.get_figwidth() * 72, figure.get_figheight() * 72
    tick_text = max(
        [text_width_pt(str(label), TICK_PT) for label in ytick_labels]
        or [text_width_pt(ytick_room, TICK_PT)]
    )
    ylabel_room = 0.0
    if ylabel:
        ylabel = wrap(ylabel, 0.55 * height, LABEL_PT)
        ylabel_room = _lines(ylabel) * LABEL_PT * 1.2 + 4
    left = 8 + ylabel_room + tick_text + 3.5 + 3.5
    right = 16  # half of the last x tick label
    centre = (left + width - right) / 2
    span = 2 * min(centre, width - centre) - 12
    title = wrap(title, width - 24, TITLE_PT, title_weight)  # centred on the figure, not the axes
    xlabel = wrap(xlabel, span, LABEL_PT) if xlabel else ""
    top = 8 + _lines(title) * TITLE_PT * 1.2 + 6
    bottom = 6 + 3.5 + 3.5 + TICK_PT * 1.2 + (_lines(xlabel) * LABEL_PT * 1.2 + 4 if xlabel else 0)
    for old in getattr(figure, "_malicourse_legend", []):  # a view frames its figure again
        old.remove()
    figure._malicourse_legend = []
    if legend is not None and legend.labels:
        legend.draw(figure, bottom_pt=4)
        bottom += legend.rows(width - 16) * legend.ROW + 4
    figure.subplots_adjust(
        left=min(left / width, 0.6),
        right=1 - right / width,
        top=1 - top / height,
        bottom=min(bottom / height, 0.6),
    )
    # Title and axis labels are placed here, where the margins are known: matplotlib would
    # otherwise measure every tick label again on each render to place them.
    ax.set_title(title, fontsize=TITLE_PT, weight=title_weight, y=1.0)
    axes_width = width - left - right
    axes_height = height * (1 - min(bottom / height, 0.6)) - top
    ax.xaxis.set_label_coords(0.5, -(3.5 + 3.5 + TICK_PT * 1.2 + 4) / axes_height)
    ax.xaxis.label.set_verticalalignment("top")
    if ylabel:
        ax.yaxis.set_label_coords(-(tick_text + 3.5 + 3.5 + 4) / axes_width, 0.5)
        ax.yaxis.label.set_verticalalignment("bottom")
    ax.title.set_x((width / 2 - left) / (width - left - right))
    ax.set_xlabel(xlabel, fontsize=LABEL_PT)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=LABEL_PT)


def _new(width: float = 8, height: float = 4.2):
    figure = Figure(figsize=(width, height), dpi=DPI)
    return figure, figure.add_subplot()


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def _actor_legend(actors: Iterable[str]) -> _Legend:
    shown = [a for a in ACTORS if a in set(actors)]
    return _Legend([Patch(color=ACTOR_COLOURS[a]) for a in shown], shown)


# --- lesson 01 --------------------------------------------------------------------------------


class TimelineView:
    """The operations timeline, drawn once; :meth:`at` moves its date marker.

    The timeline is rendered to SVG once without the marker; a chart for a date is that SVG
    with the marker added, at the place matplotlib would draw it. The figure itself has the
    marker too (``ax.lines``), so anything that renders the figure again sees the same.
    """

    def __init__(self, operations: pd.DataFrame, sources: pd.DataFrame):
        ordered = operations.sort_values("start_date", ascending=False).reset_index(drop=True)
        figure, ax = _new(8, 4.6)
        horizon = max(
            ordered["end_date"].max(), ordered["start_date"].max(), pd.Timestamp("2025-12-31")
        )
        ends = ordered["end_date"].fillna(horizon)
        for y, row in ordered.iterrows():
            ax.barh(
                y,
                ends[y] - row.start_date,
                left=row.start_date,
                color=ACTOR_COLOURS[row.actor_type],
                hatch="" if pd.notna(row.end_date) else "//",
                edgecolor="white",
                height=0.7,
            )
        ax.set_yticks(range(len(ordered)), ordered["short_name"], fontsize=TICK_PT)
        first_day = min(ordered["start_date"].min(), pd.Timestamp("2012-01-01"))
        ax.set_xlim(first_day - pd.Timedelta(days=90), horizon + pd.Timedelta(days=90))
        self.marker = ax.axvline(
            first_day,
            visible=False,
            gid="date-marker",
            color="black",
            linewidth=1.5,
            linestyle="--",
        )
        _frame(
            figure,
            ax,
            title="Who intervened in Mali, and when",
            xlabel="Date (hatched bars: still under way at the end of the data)",
            ytick_labels=ordered["short_name"],
            legend=_actor_legend(ordered["actor_type"]),
        )
        first, last = ordered.iloc[-1], ordered["start_date"].max()
        self.figure, self.ax = figure, ax
        self.description = (
            f"Timeline of {len(ordered)} operations, from {first.short_name} "
            f"({first.start_date:%B %Y}) to the latest start in {last:%B %Y}."
        )
        self.sources = source_line(operations["source_ids"], sources, "operations")
        self._base: str | None = None

    def chart(self, on=None) -> Chart:
        """A plain chart of the figure with the marker at ``on`` (rendered when shown)."""
        self._move(on)
        return Chart(self.figure, self.description, self.sources)

    def at(self, on) -> Chart:
        """A chart for the date ``on`` whose SVG reuses the render of the timeline."""

        def restore() -> None:
            self._move(on)
            self.figure.stale = False  # only the marker moved: the render of the rest holds

        chart = Chart(self.figure, self.description, self.sources, _restore=restore)
        x = date2num(pd.Timestamp(on)) if on is not None else None
        low, high = self.ax.get_xlim()
        if x is None or low <= x <= high:
            chart._svg = self._base_svg() if x is None else self._with_marker(x)
        restore()
        return chart

    def _move(self, on) -> None:
        if on is None:
            self.marker.set_visible(False)
        else:
            day = pd.Timestamp(on)
            self.marker.set_xdata([day, day])
            self.marker.set_visible(True)

    def _base_svg(self) -> str:
        if self._base is None or self.figure.stale:
            visible = self.marker.get_visible()
            self.marker.set_visible(False)
            self._base = render_svg(self.figure)
            self.marker.set_visible(visible)
        return self._base

    def _with_marker(self, x: float) -> str:
        base = self._base_svg()
        low, high = self.ax.get_xlim()
        box = self.ax.get_position()
        width, height = self.figure.get_figwidth() * 72, self.figure.get_figheight() * 72
        px = (box.x0 + box.width * (x - low) / (high - low)) * width
        top, bottom = (1 - box.y1) * height, (1 - box.y0) * height
        dash = ",".join(f"{d * 1.5:g}" for d in (3.7, 1.6))  # matplotlib's "--", scaled
        marker = (
            f'<g id="date-marker"><path d="M {px:.3f} {bottom:.3f} L {px:.3f} {top:.3f}" '
            f'style="fill: none; stroke-dasharray: {dash}; stroke-dashoffset: 0; '
            'stroke: #000000; stroke-width: 1.5"/></g>\n'
        )
        end = base.rindex("</svg>")
        return base[:end] + marker + base[end:]


def operations_timeline(operations: pd.DataFrame, sources: pd.DataFrame, on=None) -> Chart:
    """Every operation as a bar from start to end (open-ended ones to the end of the data)."""
    return TimelineView(operations, sources).chart(on)


class PersonnelView:
    """Personnel of the operations present on a date: one figure whose bars follow the date.

    Keeping the figure keeps its axes and ticks, which matplotlib would otherwise build again
    for every date; only the bars, their labels and the limits change.
    """

    def __init__(self, sources: pd.DataFrame, personnel: pd.DataFrame):
        self.sources, self.personnel = sources, personnel
        self.figure, self.ax = _new(8, 3.9)
        self.ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        self.nothing = self.ax.text(
            0.5,
            0.5,
            "No personnel figures for this date",
            ha="center",
            transform=self.ax.transAxes,
            visible=False,
        )
        self.bars = None

    def update(self, present: pd.DataFrame, on, *, live: bool = False) -> Chart:
        shown = self._apply(present, on)
        day = pd.Timestamp(on)
        counted = shown[(shown["scope"] == "Mali") & (shown["measure"] == "deployed")]
        description = (
            f"On {day:%d %B %Y}, {_count(len(present), 'operation')} under way; the deployed "
            f"counts for Mali alone add up to about {int(counted['personnel'].sum()):,} people."
        )
        restore = _restorer(self, partial(self._apply, present, on)) if live else None
        return Chart(self.figure, description, self._sources(shown), _restore=restore)

    def _apply(self, present: pd.DataFrame, on) -> pd.DataFrame:
        self._state = None  # the figure no longer shows any chart's state
        shown = present.dropna(subset=["personnel"]).sort_values("personnel")
        labels = [
            f"{r.short_name} ({r.scope}, {r.measure}, {r.observed_on:%b %Y})"
            for r in shown.itertuples()
        ]
        ax = self.ax
        if self.bars is not None:
            self.bars.errorbar.remove()
            self.bars.remove()
            self.bars = None
        self.nothing.set_visible(shown.empty)
        ax.set_axis_off() if shown.empty else ax.set_axis_on()
        if not shown.empty:
            value = shown["personnel"].to_numpy(dtype=float)
            low, high = shown["low"].to_numpy(dtype=float), shown["high"].to_numpy(dtype=float)
            self.bars = ax.barh(
                range(len(shown)),
                value,
                color=[ACTOR_COLOURS[a] for a in shown["actor_type"]],
                xerr=[value - low, high - value],
                capsize=3,
            )
            ax.set_yticks(range(len(shown)), labels)
            ax.set_ylim(-0.6, len(shown) - 0.4)
            ax.set_xlim(0, np.nanmax(np.concatenate([value, high])) * 1.06)
        _frame(
            self.figure,
            ax,
            title=f"Foreign and allied personnel in Mali on {pd.Timestamp(on):%d %B %Y}",
            xlabel="" if shown.empty else PERSONNEL_XLABEL,
            ytick_labels=labels,
        )
        return shown

    def _sources(self, shown: pd.DataFrame) -> str:
        """The documents behind the counts plotted (one row of personnel.csv per bar)."""
        keys = set(
            zip(
                shown["operation_id"],
                shown["observed_on"],
                shown["scope"],
                shown["measure"],
                strict=True,
            )
        )
        table = self.personnel
        plotted = [
            (ids, count)
            for ids, count, *key in zip(
                table["source_ids"],
                table["personnel"],
                table["operation_id"],
                table["date"],
                table["scope"],
                table["measure"],
                strict=True,
            )
            if tuple(key) in keys
        ]
        return source_line(
            pd.Series([ids for ids, _ in plotted], dtype=object),
            self.sources,
            "personnel",
            weights=[float(count) for _, count in plotted],
        )


PERSONNEL_XLABEL = "Personnel (latest count on or before the date; error bars: range in sources)"


def personnel_present(
    present: pd.DataFrame, sources: pd.DataFrame, personnel: pd.DataFrame, on
) -> Chart:
    """Personnel of the operations present on a date, with the range sources give."""
    return PersonnelView(sources, personnel).update(present, on)


# --- lesson 02 --------------------------------------------------------------------------------


class SpendingView:
    """Spending per actor over the years: one figure whose artists follow the data.

    ``update`` gives each chosen actor's line, low-high band and hollow markers their new data,
    detaches the others, and rescales: far cheaper than a new figure. ``operations`` and
    ``rates`` make the caption precise (the course's tables unless given): only the cost rows
    of the actors and years shown are cited, and exchange-rate documents come after the
    documents of the amounts.
    """

    def __init__(
        self,
        sources: pd.DataFrame,
        costs: pd.DataFrame,
        *,
        operations: pd.DataFrame | None = None,
        rates: pd.DataFrame | None = None,
    ):
        operations = _course_table("operations") if operations is None else operations
        rates = _course_table("exchange_rates") if rates is None else rates
        self.sources, self.costs, self.operations = sources, costs, operations
        self.rate_ids = (
            {sid for cell in rates["source_ids"].dropna() for sid in cell.split(";")}
            if rates is not None
            else set()
        )
        self.figure, self.ax = _new(8, 4.8)
        self.ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
        self.artists: dict[str, tuple] = {}
        self._layout: tuple | None = None
        self._notes: dict[tuple, str] = {}

    def update(self, spending: pd.DataFrame, measure: str, *, live: bool = False) -> Chart:
        """The chart of ``spending`` in ``measure``; ``live``: a chart for an explorer."""
        self._apply(spending, measure)
        unit = {**MEASURES, **REAL_MEASURES}[measure]
        peak = spending.loc[spending["value"].idxmax()] if spending["value"].notna().any() else None
        description = (
            f"Yearly spending of {_count(spending['actor_type'].nunique(), 'actor')}, "
            f"{spending['year'].min()}-{spending['year'].max()}, in {unit}"
            + (
                f"; the highest is {peak.actor_type} in {peak.year}."
                if peak is not None
                else "; no figures in range."
            )
            + (
                f" GDP: World Bank release {CURRENT_GDP_VINTAGE}."
                if measure == "share_of_gdp"
                else ""
            )
            + self._coverage_note(spending)
        )
        restore = _restorer(self, partial(self._apply, spending, measure)) if live else None
        return Chart(self.figure, description, self._sources(spending), _restore=restore)

    def _coverage_note(self, spending: pd.DataFrame) -> str:
        """Which amounts are not full costs, by actor and years: lines not like with like."""
        if spending.empty:
            return ""
        actors = tuple(dict.fromkeys(spending["actor_type"].astype(str)))
        key = (actors, int(spending["year"].min()), int(spending["year"].max()))
        if key not in self._notes:
            kinds = what_amounts_cover(self.costs, self.operations, actors=actors, years=key[1:])
            partial_kinds = kinds[kinds["cost_coverage"] != "full"]
            self._notes[key] = (
                " Not like with like, the amounts cover: "
                + "; ".join(
                    f"{actor}: "
                    + ", ".join(f"{row.cost_coverage} ({row.years})" for row in rows.itertuples())
                    for actor, rows in partial_kinds.groupby("actor_type", sort=False)
                )
                + "."
                if len(partial_kinds)
                else ""
            )
        return self._notes[key]

    def _apply(self, spending: pd.DataFrame, measure: str) -> None:
        self._state = None  # the figure no longer shows any chart's state
        actors = spending["actor_type"].astype(str).to_numpy()
        shown = list(dict.fromkeys(actors))
        years = spending["year"].to_numpy(dtype=float)
        value, low, high = (spending[c].to_numpy(dtype=float) for c in ("value", "low", "high"))
        partial_year = (spending["missing"] != "").to_numpy()
        for actor, artists in self.artists.items():
            if actor not in shown and artists[0].axes is not None:
                for artist in artists:
                    artist.remove()
        for actor in shown:
            line, band, hollow = self._artists(actor)
            rows = actors == actor
            line.set_data(years[rows], value[rows])
            band.set_data(years[rows], low[rows], high[rows])
            hollow.set_offsets(np.column_stack([years, value])[rows & partial_year])
        finite = np.concatenate([value, low, high])
        finite = finite[np.isfinite(finite)]
        top = finite.max() * 1.08 if finite.size and finite.max() > 0 else 1.0
        self.ax.set_ylim(0, top)
        if years.size:
            self.ax.set_xlim(years.min() - 0.4, years.max() + 0.4)
        self.ax.yaxis.set_major_formatter(
            FuncFormatter(lambda v, _: f"${v / 1e9:.1f}bn")
            if measure in ("usd", "constant_usd")
            else ScalarFormatter()
        )
        layout = (tuple(shown), measure)
        if layout != self._layout:
            handles = [self.artists[a][0] for a in shown]
            grey = Line2D([], [], marker="o", linestyle="", mfc="white", mec="grey", ms=7)
            unit = {**MEASURES, **REAL_MEASURES}[measure]
            _frame(
                self.figure,
                self.ax,
                title=f"Intervention spending by actor, in {unit}",
                xlabel="Calendar year (budget periods split by days)",
                ylabel=unit,
                ytick_room="$10.0bn",
                legend=_Legend(handles, shown, note=(grey, HOLLOW_LABEL)),
            )
            self._layout = layout

    def _artists(self, actor: str) -> tuple:
        if actor not in self.artists:
            colour, marker = ACTOR_COLOURS[actor], ACTOR_MARKERS[actor]
            (line,) = self.ax.plot([], [], marker=marker, color=colour, label=actor)
            band = self.ax.fill_between([], [], [], color=colour, alpha=0.2)
            hollow = self.ax.scatter(
                np.empty(0),
                np.empty(0),
                marker=marker,
                s=60,
                facecolors="white",
                edgecolors=colour,
                zorder=3,
            )
            self.artists[actor] = (line, band, hollow)
        line, band, hollow = self.artists[actor]
        if line.axes is None:  # detached earlier: attach again
            self.ax.add_line(line)
            self.ax.add_collection(band, autolim=False)
            self.ax.add_collection(hollow, autolim=False)
        return self.artists[actor]

    def _sources(self, spending: pd.DataFrame) -> str:
        rows = self.costs[self.costs["in_series"]]
        if len(spending):
            first, last = int(spending["year"].min()), int(spending["year"].max())
            rows = rows[
                (rows["period_end"].dt.year >= first) & (rows["period_start"].dt.year <= last)
            ]
        if self.operations is not None and len(spending):
            chosen = set(spending["actor_type"].astype(str))
            actors = self.operations["actor_type"].astype(str)
            rows = rows[
                rows["operation_id"].isin(self.operations.loc[actors.isin(chosen), "operation_id"])
            ]
        return source_line(
            rows["source_ids"],
            self.sources,
            "costs",
            weights=rows["amount_usd"].astype(float),
            context_ids=self.rate_ids,
        )


def _course_table(name: str) -> pd.DataFrame | None:
    """A course table for a caption's sake (which operation is whose, which documents are
    exchange rates), or None where the course data cannot be read."""
    from .data import DataError, load

    try:
        return load(name)
    except (DataError, OSError):
        return None


def spending_over_time(
    spending: pd.DataFrame,
    sources: pd.DataFrame,
    costs: pd.DataFrame,
    measure: str,
    *,
    operations: pd.DataFrame | None = None,
    rates: pd.DataFrame | None = None,
) -> Chart:
    """One line per actor with its low-high band; gaps where no figure exists."""
    view = SpendingView(sources, costs, operations=operations, rates=rates)
    return view.update(spending, measure)


# --- lesson 03 --------------------------------------------------------------------------------


class CoupView:
    """Coups of the chosen countries: one figure whose markers and rows follow the choice."""

    def __init__(self, sources: pd.DataFrame):
        self.sources = sources
        self.figure, self.ax = _new(8, 3)
        self.ax.xaxis_date()
        locator = AutoDateLocator(minticks=3, maxticks=7)  # an interval for every range
        self.ax.xaxis.set_major_locator(locator)
        self.ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        self.ax.grid(axis="x", alpha=0.3)
        self.markers = {
            outcome: self.ax.scatter(
                np.empty(0),
                np.empty(0),
                s=60,
                facecolors="#D55E00" if outcome == "successful" else "none",
                edgecolors="#D55E00",
                zorder=3,
            )
            for outcome in ("successful", "failed")
        }

    def update(self, timeline: pd.DataFrame, *, live: bool = False) -> Chart:
        names = self._apply(timeline)
        successful, failed = (
            int((timeline["outcome"] == "successful").sum()),
            int((timeline["outcome"] == "failed").sum()),
        )
        description = (
            f"{_count(successful, 'successful coup')} and {_count(failed, 'failed attempt')} "
            f"in {_count(len(names), 'country', 'countries')}."
        )
        cited = source_line(timeline["source_ids"], self.sources, "coups")
        restore = _restorer(self, partial(self._apply, timeline)) if live else None
        return Chart(self.figure, description, cited, _restore=restore)

    def _apply(self, timeline: pd.DataFrame) -> list[str]:
        self._state = None  # the figure no longer shows any chart's state
        names = list(dict.fromkeys(timeline.sort_values("date")["name"]))
        row = {name: n for n, name in enumerate(names)}
        days = date2num(timeline["date"])
        rows = timeline["name"].map(row).to_numpy(dtype=float)
        for outcome, marker in self.markers.items():
            chosen = (timeline["outcome"] == outcome).to_numpy()
            marker.set_offsets(np.column_stack([days, rows])[chosen])
        self.figure.set_size_inches(8, 0.4 * max(len(names), 3) + 1.6, forward=False)
        self.ax.set_yticks(range(len(names)), names)
        self.ax.set_ylim(-0.6, max(len(names), 1) - 0.4)
        if len(days):
            margin = max(days.max() - days.min(), 365.0) * 0.04
            self.ax.set_xlim(days.min() - margin, days.max() + margin)
        _frame(
            self.figure,
            self.ax,
            title="Coups and coup attempts",
            xlabel="Date",
            ytick_labels=names,
            legend=_Legend(list(self.markers.values()), ["successful coup", "failed attempt"]),
        )
        return names


def coup_strip(timeline: pd.DataFrame, sources: pd.DataFrame) -> Chart:
    """One row per country; filled markers for successful coups, hollow for failed attempts."""
    return CoupView(sources).update(timeline)


def coups_per_year_bars(counts: pd.DataFrame, coups: pd.DataFrame, sources: pd.DataFrame) -> Chart:
    figure, ax = _new(8, 3.6)
    bottom = pd.Series(0, index=counts.index)
    handles, labels = [], []
    for outcome, colour in (("successful", "#D55E00"), ("failed", "#56B4E9")):
        if outcome in counts:
            handles.append(ax.bar(counts["year"], counts[outcome], bottom=bottom, color=colour))
            labels.append(outcome)
            bottom = bottom + counts[outcome]
    _frame(
        figure,
        ax,
        title="Coups per year in the course's record",
        xlabel="Year",
        ylabel="Number of coups",
        legend=_Legend(handles, labels),
    )
    busiest = [int(y) for y in counts.loc[bottom == bottom.max(), "year"]]
    span = f"{counts['year'].min()}-{counts['year'].max()}"
    years = " and ".join(map(str, busiest))
    description = f"Coups per year, {span}; the busiest ({int(bottom.max())} coups): {years}."
    return Chart(figure, description, source_line(coups["source_ids"], sources, "coups"))


# --- lesson 04 --------------------------------------------------------------------------------


def events_window(window: pd.DataFrame, sources: pd.DataFrame) -> Chart:
    """The chosen event (position 0) and its neighbours on a time axis, labelled beside them."""
    ordered = window.reset_index(drop=True)
    figure, ax = _new(8, 0.42 * len(ordered) + 1.5)
    anchor = ordered[ordered["position"] == 0].iloc[0]
    _frame(figure, ax, title=f"Before and after: {anchor.title}", xlabel="Date", ytick_room="00")
    colours = ["#D55E00" if p == 0 else "#0072B2" for p in ordered["position"]]
    ax.scatter(ordered["date"], range(len(ordered)), color=colours, s=50, zorder=3)
    # Each label starts at its point and must end inside the axes: room on the right is made
    # from the measured width of the labels, and a label too long for any room is shortened.
    axes_width = ax.get_position().width * figure.get_figwidth() * 72
    days = date2num(ordered["date"])
    first, last = days.min(), days.max()
    span = max(last - first, 30.0)
    left = first - 0.04 * span
    right = last + 0.04 * span
    labels = []
    for y, row in ordered.iterrows():
        weight = "bold" if row.position == 0 else "normal"
        label = f"{row.title} ({row.category})"
        while text_width_pt(label, 8, weight) > 0.7 * axes_width:
            label = textwrap.shorten(label, width=len(label) - 4, placeholder="…")
        labels.append((label, weight))
        # the label's share of the axes width, and the point's place in [left, right]
        share = (text_width_pt(label, 8, weight) + 10) / axes_width
        needed = left + (days[y] - left) / (1 - share)
        right = max(right, needed)
        ax.annotate(
            label,
            (row.date, y),
            xytext=(6, 0),
            textcoords="offset points",
            fontsize=8,
            va="center",
            weight=weight,
            annotation_clip=False,  # every point is inside the axes; the check costs 3 ms each
        )
    ax.set_xlim(left, right)
    ax.set_yticks([])
    ax.set_ylim(len(ordered) - 0.5, -0.5)
    locator = AutoDateLocator(minticks=3, maxticks=7)  # every range has an interval: no warning
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    description = (
        f"{int((ordered['position'] < 0).sum())} events before and "
        f"{int((ordered['position'] > 0).sum())} after "
        f"'{anchor.title}' ({anchor.date:%d %B %Y})."
    )
    return Chart(figure, description, source_line(ordered["source_ids"], sources, "events"))


# --- lesson 05 --------------------------------------------------------------------------------


def verdicts_by_type(table: pd.DataFrame, claims: pd.DataFrame, sources: pd.DataFrame) -> Chart:
    """Stacked bars: for each claim type, how many claims got each verdict."""
    counts = table.drop(index="total", columns="total", errors="ignore")
    figure, ax = _new(7, 3.6)
    left = pd.Series(0, index=counts.index)
    handles, labels = [], []
    for verdict, colour in VERDICT_COLOURS.items():
        if verdict in counts:
            handles.append(
                ax.barh(counts.index.astype(str), counts[verdict], left=left, color=colour)
            )
            labels.append(verdict)
            left = left + counts[verdict]
    _frame(
        figure,
        ax,
        title="The op-ed's claims, by type and verdict",
        xlabel="Number of claims",
        ytick_labels=counts.index.astype(str),
        legend=_Legend(handles, labels),
    )
    description = f"Verdicts on {int(left.sum())} claims of the op-ed, grouped by type of claim."
    return Chart(figure, description, source_line(claims["source_ids"], sources, "claims"))


# --- lesson 06 --------------------------------------------------------------------------------

# One colour per family of indicator (money, people killed, people displaced, appeals); each
# indicator has its own panel and its own title, so colour is never the only cue.
HUMAN_COST_COLOURS = {
    "spending_usd": "#0072B2",
    "battle_deaths_ucdp": "#D55E00",
    "fatalities_acled": "#D55E00",
    "civilians_killed_un": "#D55E00",
    "idps": "#009E73",
    "refugees": "#009E73",
    "appeal_requirements_usd": "#E69F00",
    "appeal_coverage_pct": "#E69F00",
}
FLOOR_LABEL = (
    "hollow marker: a floor (part of the year or of the operations has no figure, or 'at least')"
)


def _human_cost_formatter(indicator: str) -> FuncFormatter:
    if indicator.endswith("_usd"):
        return FuncFormatter(lambda v, _: f"${v / 1e9:.1f}bn" if v >= 1e9 else f"${v / 1e6:,.0f}m")
    if indicator.endswith("_pct"):
        return FuncFormatter(lambda v, _: f"{v:.0f}%")
    return FuncFormatter(lambda v, _: f"{v:,.0f}")


def human_cost_panels(
    indicators: pd.DataFrame, sources: pd.DataFrame, *, mark_year: int | None = None
) -> Chart:
    """One small panel per indicator on a shared year axis: read side by side, never added.

    ``indicators`` is the long table of :func:`analysis.human_cost_indicators`. Each panel has
    its own unit; hollow markers are floors; ``mark_year`` draws a dashed line at the start of
    that year (e.g. 2022, the year the French operation left Mali).
    """
    keys = list(dict.fromkeys(indicators["indicator"]))
    width, panel = 8.0, 1.45
    figure = Figure(figsize=(width, 1.5 + panel * max(len(keys), 1)), dpi=DPI)
    axes = figure.subplots(max(len(keys), 1), 1, sharex=True, squeeze=False)[:, 0]
    years = indicators["year"].to_numpy(dtype=float)
    if years.size and mark_year is not None and not years.min() < mark_year <= years.max():
        mark_year = None  # the line would fall outside the years shown
    labels = []
    for ax, key in zip(axes, keys, strict=False):
        rows = indicators[indicators["indicator"] == key].sort_values("year")
        x, y = rows["year"].to_numpy(dtype=float), rows["value"].to_numpy(dtype=float)
        floor = rows["floor"].to_numpy(dtype=bool)
        colour = HUMAN_COST_COLOURS.get(key, OKABE_ITO[0])
        ax.plot(x, y, marker="o", color=colour, markersize=5)
        ax.scatter(x[floor], y[floor], s=42, facecolors="white", edgecolors=colour, zorder=3)
        unit = str(rows["unit"].iloc[0])
        labels.append(unit)
        ax.set_title(wrap(unit, width * 72 - 120, 9), fontsize=9, loc="left")
        ax.yaxis.set_major_locator(MaxNLocator(nbins=3))
        ax.yaxis.set_major_formatter(_human_cost_formatter(key))
        ax.tick_params(labelsize=8)
        finite = y[np.isfinite(y)]
        ax.set_ylim(0, finite.max() * 1.15 if finite.size and finite.max() > 0 else 1)
        if not finite.size:
            ax.text(
                0.5,
                0.5,
                "no figure in these years",
                ha="center",
                va="center",
                transform=ax.transAxes,
                fontsize=8,
            )
        if mark_year is not None:
            ax.axvline(mark_year - 0.5, color="black", linestyle="--", linewidth=1)
        ax.grid(axis="y", alpha=0.3)
    if years.size:
        axes[-1].set_xlim(years.min() - 0.5, years.max() + 0.5)
    axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    stocks = {"idps", "refugees"} & set(keys)
    xlabel = "Calendar year" + (" (displaced people: the year's latest count)" if stocks else "")
    axes[-1].set_xlabel(xlabel, fontsize=LABEL_PT)
    handles = [Line2D([], [], marker="o", linestyle="", mfc="white", mec="grey", ms=7)]
    legend = [FLOOR_LABEL]
    if mark_year is not None:
        handles.append(Line2D([], [], color="black", linestyle="--", linewidth=1))
        legend.append(f"dashed line: start of {mark_year}")
    title = (
        "The human cost beside military spending" if "spending_usd" in keys else "The human cost"
    ) + ": each series in its own panel and unit"
    height = figure.get_figheight() * 72
    figure.suptitle(wrap(title, width * 72 - 24, TITLE_PT), fontsize=TITLE_PT)
    figure.legend(
        handles,
        legend,
        loc="lower center",
        ncols=1,
        fontsize=LEGEND_PT,
        frameon=False,
        bbox_to_anchor=(0.5, 2 / height),
    )
    figure.subplots_adjust(
        left=0.11,
        right=0.97,
        top=1 - 44 / height,
        bottom=(44 + 12 * len(legend)) / height,
        hspace=0.75,
    )
    shown = indicators.dropna(subset=["value"])
    first, last = int(indicators["year"].min()), int(indicators["year"].max())
    description = (
        f"{_count(len(keys), 'yearly series', 'yearly series')} for {first}-{last}, each in its "
        f"own panel and unit ({'; '.join(labels)}); {int(shown['floor'].sum())} of "
        f"{len(shown)} points are floors."
    )
    return Chart(figure, description, human_cost_sources(shown, sources))


def human_cost_sources(rows: pd.DataFrame, sources: pd.DataFrame) -> str:
    """'Source: ...' for rows of several indicators and tables (columns ``indicator``,
    ``table``, ``source_ids``): the document cited most often for each indicator, then a count."""
    tables = list(dict.fromkeys(rows["table"]))
    where = ", ".join(f"data/{t}.csv" for t in tables)
    if rows.empty:
        return f"Source: no rows shown (see {where or 'data/'} and data/sources.csv)."
    everything, first = set(), []
    for _, group in rows.groupby("indicator", sort=False):
        cited = [s for cell in group["source_ids"] for s in dict.fromkeys(cell.split(";")) if s]
        everything |= set(cited)
        if cited:
            top = pd.Series(cited).value_counts(sort=True).index[0]
            first.append(top)
    named = list(dict.fromkeys(first))
    shown = "; ".join(_document(sid, sources) for sid in named)
    rest = len(everything) - len(named)
    if not rest:
        return f"Source: {shown} (see {where} and data/sources.csv)."
    return (
        f"Source: {shown}; and {rest} more: see data/sources.csv "
        f"(all {len(everything)} are cited in {where})."
    )
