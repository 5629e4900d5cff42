"""Plotting functions: data in, a :class:`Chart` out (figure, one-sentence description, sources).

Figures are built with matplotlib's object-oriented API on a bare ``Figure`` (no pyplot state),
so nothing is drawn twice and nothing leaks between cells. Colours come from the Okabe-Ito
palette, which stays distinguishable for the common forms of colour blindness; lines also
differ by marker so that colour is never the only cue.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from matplotlib import rc_context
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .analysis import MEASURES

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


@dataclass
class Chart:
    """A figure with what a reader needs beside it: a text description and its sources."""

    figure: Figure
    description: str
    sources: str

    def svg(self) -> str:
        """The figure as SVG with real text: sharp at any zoom, and quicker to make than a PNG."""
        buffer = io.StringIO()
        with rc_context({"svg.fonttype": "none", "svg.hashsalt": "malicourse"}):
            self.figure.savefig(buffer, format="svg")
        return buffer.getvalue()

    def _repr_mimebundle_(self, include=None, exclude=None):
        encoded = base64.b64encode(self.svg().encode()).decode()
        alt = html.escape(self.description, quote=True)
        page = (
            f'<figure style="margin:0"><img src="data:image/svg+xml;base64,{encoded}" alt="{alt}">'
            f"<figcaption><small>{html.escape(self.description)}<br>{html.escape(self.sources)}"
            "</small></figcaption></figure>"
        )
        return {"text/html": page, "text/plain": f"{self.description}\n{self.sources}"}


def source_line(source_ids: pd.Series, sources: pd.DataFrame, table: str) -> str:
    """'Source: ...' naming the publishers behind the rows shown, most cited first."""
    cited = pd.Series([sid for cell in source_ids.dropna() for sid in cell.split(";")])
    if cited.empty:
        return f"Source: data/{table}.csv (no rows shown)."
    publishers = cited.map(sources.set_index("source_id")["author_or_publisher"]).value_counts()
    named = "; ".join(publishers.index[:4])
    more = f"; and {len(publishers) - 4} more" if len(publishers) > 4 else ""
    where = f"see data/{table}.csv and data/sources.csv"
    return f"Source: {named}{more} ({cited.nunique()} documents; {where})."


DPI = 90


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def _figure(width: float = 8, height: float = 4.2, labels: Iterable[str] = ()):
    """A bare figure with fixed margins, widened on the left for the longest tick label.

    Fixed margins instead of a layout engine: a redraw costs one render, not three.
    """
    longest = max((len(str(label)) for label in labels), default=0)
    left_inches = max(0.8, 0.075 * longest + 0.3)
    figure = Figure(figsize=(width, height), dpi=DPI)
    figure.subplots_adjust(
        left=min(left_inches / width, 0.6), right=0.97, top=0.9, bottom=0.8 / height
    )
    return figure, figure.add_subplot()


# --- lesson 01 --------------------------------------------------------------------------------


def operations_timeline(operations: pd.DataFrame, sources: pd.DataFrame, on=None) -> Chart:
    """Every operation as a bar from start to end (open-ended ones to the end of the data)."""
    ordered = operations.sort_values("start_date", ascending=False).reset_index(drop=True)
    figure, ax = _figure(8, 4.6, labels=ordered["short_name"])
    horizon = max(
        ordered["end_date"].max(), ordered["start_date"].max(), pd.Timestamp("2025-12-31")
    )
    for y, row in ordered.iterrows():
        end = row.end_date if pd.notna(row.end_date) else horizon
        ax.barh(
            y,
            end - row.start_date,
            left=row.start_date,
            color=ACTOR_COLOURS[row.actor_type],
            hatch="" if pd.notna(row.end_date) else "//",
            edgecolor="white",
            height=0.7,
        )
    ax.set_yticks(range(len(ordered)), ordered["short_name"])
    if on is not None:
        ax.axvline(pd.Timestamp(on), color="black", linewidth=1.5, linestyle="--")
    ax.set_title("Who intervened in Mali, and when")
    ax.set_xlabel("Date (hatched bars: still under way at the end of the data)")
    shown = [a for a in ACTORS if a in set(ordered["actor_type"])]
    handles = [Patch(color=ACTOR_COLOURS[a], label=a) for a in shown]
    ax.legend(handles=handles, loc="lower left", fontsize=8)
    first, last = ordered.iloc[-1], ordered["start_date"].max()
    description = (
        f"Timeline of {len(ordered)} operations, from {first.short_name} "
        f"({first.start_date:%B %Y}) to the latest start in {last:%B %Y}."
    )
    return Chart(figure, description, source_line(operations["source_ids"], sources, "operations"))


def personnel_present(
    present: pd.DataFrame, sources: pd.DataFrame, personnel: pd.DataFrame, on
) -> Chart:
    """Personnel of the operations present on a date, with the range sources give."""
    shown = present.dropna(subset=["personnel"]).sort_values("personnel")
    labels = [
        f"{r.short_name} ({r.scope}, {r.measure}, {r.observed_on:%b %Y})"
        for r in shown.itertuples()
    ]
    figure, ax = _figure(8, 3.6, labels=labels)
    day = pd.Timestamp(on)
    if shown.empty:
        ax.text(0.5, 0.5, "No personnel figures for this date", ha="center", transform=ax.transAxes)
        ax.set_axis_off()
    else:
        ax.barh(
            labels,
            shown["personnel"],
            color=[ACTOR_COLOURS[a] for a in shown["actor_type"]],
            xerr=[shown["personnel"] - shown["low"], shown["high"] - shown["personnel"]],
            capsize=3,
        )
        ax.set_xlabel(
            "Personnel (latest count on or before the date; error bars: range in sources)"
        )
    ax.set_title(f"Foreign and allied personnel in Mali on {day:%d %B %Y}")
    counted = shown[(shown["scope"] == "Mali") & (shown["measure"] == "deployed")]
    description = (
        f"On {day:%d %B %Y}, {_count(len(present), 'operation')} under way; the deployed counts "
        f"for Mali alone add up to about {int(counted['personnel'].sum()):,} people."
    )
    cited = personnel.loc[personnel["operation_id"].isin(shown["operation_id"]), "source_ids"]
    return Chart(figure, description, source_line(cited, sources, "personnel"))


# --- lesson 02 --------------------------------------------------------------------------------


def spending_over_time(
    spending: pd.DataFrame, sources: pd.DataFrame, costs: pd.DataFrame, measure: str
) -> Chart:
    """One line per actor with its low-high band; gaps where no figure exists."""
    figure, ax = _figure()
    for actor, rows in spending.groupby("actor_type", observed=True, sort=False):
        colour = ACTOR_COLOURS[actor]
        ax.plot(rows["year"], rows["value"], marker=ACTOR_MARKERS[actor], color=colour, label=actor)
        ax.fill_between(rows["year"], rows["low"], rows["high"], color=colour, alpha=0.2)
        partial = rows[rows["missing"] != ""]
        ax.scatter(
            partial["year"],
            partial["value"],
            marker=ACTOR_MARKERS[actor],
            s=60,
            facecolors="white",
            edgecolors=colour,
            zorder=3,
        )
    ax.scatter(
        [],
        [],
        marker="o",
        facecolors="white",
        edgecolors="grey",
        label="hollow: part of the year has no figure (a floor)",
    )
    ax.xaxis.get_major_locator().set_params(integer=True)
    unit = MEASURES[measure]
    ax.set_ylabel(unit)
    ax.set_xlabel("Calendar year (budget periods split by days)")
    ax.set_title(f"Intervention spending by actor, in {unit}")
    figure.subplots_adjust(right=0.7)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if measure == "usd":
        ax.yaxis.set_major_formatter(lambda v, _: f"${v / 1e9:.1f}bn")
    peak = spending.loc[spending["value"].idxmax()] if spending["value"].notna().any() else None
    description = (
        f"Yearly spending of {spending['actor_type'].nunique()} actors, {spending['year'].min()}-"
        f"{spending['year'].max()}, in {unit}"
        + (
            f"; the highest is {peak.actor_type} in {peak.year}."
            if peak is not None
            else "; no figures in range."
        )
    )
    cited = costs.loc[costs["in_series"], "source_ids"]
    return Chart(figure, description, source_line(cited, sources, "costs"))


# --- lesson 03 --------------------------------------------------------------------------------


def coup_strip(timeline: pd.DataFrame, sources: pd.DataFrame) -> Chart:
    """One row per country; filled markers for successful coups, hollow for failed attempts."""
    names = list(dict.fromkeys(timeline.sort_values("date")["name"]))
    figure, ax = _figure(8, 0.45 * max(len(names), 3) + 1.2, labels=names)
    for outcome, filled in (("successful", True), ("failed", False)):
        rows = timeline[timeline["outcome"] == outcome]
        ax.scatter(
            rows["date"],
            rows["name"].map(names.index),
            s=60,
            label=outcome,
            facecolors="#D55E00" if filled else "none",
            edgecolors="#D55E00",
            zorder=3,
        )
    ax.set_yticks(range(len(names)), names)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Coups and coup attempts")
    ax.set_xlabel("Date")
    ax.legend(fontsize=8, loc="upper left")
    successful, failed = (
        (timeline["outcome"] == "successful").sum(),
        (timeline["outcome"] == "failed").sum(),
    )
    description = (
        f"{_count(successful, 'successful coup')} and {_count(failed, 'failed attempt')} "
        f"in {_count(len(names), 'country', 'countries')}."
    )
    return Chart(figure, description, source_line(timeline["source_ids"], sources, "coups"))


def coups_per_year_bars(counts: pd.DataFrame, coups: pd.DataFrame, sources: pd.DataFrame) -> Chart:
    figure, ax = _figure(8, 3.4)
    bottom = pd.Series(0, index=counts.index)
    for outcome, colour in (("successful", "#D55E00"), ("failed", "#56B4E9")):
        if outcome in counts:
            ax.bar(counts["year"], counts[outcome], bottom=bottom, color=colour, label=outcome)
            bottom = bottom + counts[outcome]
    ax.set_title("Coups per year in the course's record")
    ax.set_ylabel("Number of coups")
    ax.set_xlabel("Year")
    ax.legend(fontsize=8)
    busiest = counts.loc[bottom == bottom.max(), "year"].tolist()
    span = f"{counts['year'].min()}-{counts['year'].max()}"
    years = " and ".join(map(str, busiest))
    description = f"Coups per year, {span}; the busiest ({bottom.max()} coups): {years}."
    return Chart(figure, description, source_line(coups["source_ids"], sources, "coups"))


# --- lesson 04 --------------------------------------------------------------------------------


def events_window(window: pd.DataFrame, sources: pd.DataFrame) -> Chart:
    """The chosen event (position 0) and its neighbours on a time axis."""
    figure, ax = _figure(8, 0.42 * len(window) + 1.2)
    ordered = window.reset_index(drop=True)
    colours = ["#D55E00" if p == 0 else "#0072B2" for p in ordered["position"]]
    ax.scatter(ordered["date"], range(len(ordered)), color=colours, s=50, zorder=3)
    for y, row in ordered.iterrows():
        weight = "bold" if row.position == 0 else "normal"
        ax.annotate(
            f" {row.title} ({row.category})", (row.date, y), fontsize=8, va="center", weight=weight
        )
    ax.set_yticks([])
    ax.invert_yaxis()
    ax.set_xlabel("Date")
    anchor = ordered[ordered["position"] == 0].iloc[0]
    ax.set_title(f"Before and after: {anchor.title}")
    ax.margins(x=0.05)
    ax.set_xlim(right=ax.get_xlim()[1] + 0.9 * (ax.get_xlim()[1] - ax.get_xlim()[0]) + 30)
    ax.xaxis.set_major_locator(AutoDateLocator(maxticks=6))
    ax.xaxis.set_major_formatter(ConciseDateFormatter(ax.xaxis.get_major_locator()))
    description = (
        f"{(ordered['position'] < 0).sum()} events before and "
        f"{(ordered['position'] > 0).sum()} after "
        f"'{anchor.title}' ({anchor.date:%d %B %Y})."
    )
    return Chart(figure, description, source_line(ordered["source_ids"], sources, "events"))


# --- lesson 05 --------------------------------------------------------------------------------


def verdicts_by_type(table: pd.DataFrame, claims: pd.DataFrame, sources: pd.DataFrame) -> Chart:
    """Stacked bars: for each claim type, how many claims got each verdict."""
    counts = table.drop(index="total", columns="total", errors="ignore")
    figure, ax = _figure(7, 3.2, labels=counts.index)
    left = pd.Series(0, index=counts.index)
    for verdict, colour in VERDICT_COLOURS.items():
        if verdict in counts:
            ax.barh(counts.index, counts[verdict], left=left, color=colour, label=verdict)
            left = left + counts[verdict]
    ax.set_title("The op-ed's claims, by type and verdict")
    ax.set_xlabel("Number of claims")
    ax.legend(fontsize=8, loc="lower right")
    description = f"Verdicts on {int(left.sum())} claims of the op-ed, grouped by type of claim."
    return Chart(figure, description, source_line(claims["source_ids"], sources, "claims"))
