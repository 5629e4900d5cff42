"""Explorers: controls wired to a pure analysis function and a figure, nothing more.

An :class:`Explorer` recomputes and redraws whenever a control changes. It keeps what it last
computed (``result``) and showed (``views``), so tests drive the controls from code and check
both. A choice that cannot work shows a hint where the figure would be, never a traceback.
Every control is a standard ipywidget: reachable with Tab and operated with the arrow keys,
and sized to its text so that no description, option or readout is cut off.

A move must feel instant, so an explorer remembers what it computed and drew for each control
state it has seen (moving back costs nothing), and its figures are views that update their
artists rather than new figures (see :mod:`malicourse.figures`).
"""

from __future__ import annotations

import html
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import lru_cache
from types import SimpleNamespace

import ipywidgets as W
import pandas as pd
from IPython import get_ipython
from IPython.display import HTML, clear_output, display

from . import analysis, figures
from .analysis import CourseInputError
from .answers import AnswerBook
from .data import load

WIDE = {"description_width": "initial"}
CHAR_PX = 7.5  # a generous average character width at the widgets' 13px font
LABEL_GAP_PX = 12  # between a description and its control


def text_px(text: str) -> int:
    """A width in pixels that holds ``text`` in the widgets' font, with room to spare."""
    return int(len(str(text)) * CHAR_PX) + 4


def fitted(kind: str, description: str = "", labels: Iterable[str] = ()) -> W.Layout:
    """A layout wide enough for the description and the longest option of a control.

    ``kind`` adds what the control itself needs: a dropdown's arrow, a list's scroll bar.
    """
    extra = {"dropdown": 44, "select": 32, "checkbox": 36, "text": 24}[kind]
    longest = max((text_px(label) for label in labels), default=0)
    label = text_px(description) + LABEL_GAP_PX if description else 0
    return W.Layout(width=f"{label + longest + extra}px", max_width="100%")


def table_view(frame: pd.DataFrame) -> HTML:
    """A table as a student should see it: no index column, dates as dates, plain numbers."""
    shown = frame.copy()
    for column in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[column]):
            shown[column] = shown[column].dt.strftime("%Y-%m-%d")
    return HTML(
        shown.to_html(index=False, na_rep="–", float_format=lambda v: f"{v:,.2f}", border=0)
    )


class Explorer:
    def __init__(
        self,
        controls: dict[str, W.ValueWidget],
        compute: Callable,
        draw: Callable,
        *,
        remember: int = 64,
    ):
        self.controls, self.compute, self.draw = controls, compute, draw
        self.hint = W.HTML()
        self.output = W.Output()
        self.result: pd.DataFrame | dict | None = None
        self.views: list = []
        self.remember = remember
        self._seen: OrderedDict = OrderedDict()
        for control in controls.values():
            control.observe(lambda _change: self.refresh(), names="value")
        self.refresh()

    @property
    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self) -> None:
        values = self.values
        key = _state(values)
        if key is not None and key in self._seen:
            self._seen.move_to_end(key)
            self.result, self.views = self._seen[key]
            for view in self.views:
                if isinstance(view, figures.Chart):
                    view.restore()
            self.hint.value = ""
        else:
            try:
                self.result = self.compute(**values)
                self.views = self.draw(self.result, **values)
                self.hint.value = ""
                if key is not None and self.remember:
                    self._seen[key] = (self.result, self.views)
                    while len(self._seen) > self.remember:
                        self._seen.popitem(last=False)
            except CourseInputError as problem:
                self.result, self.views = None, []
                self.hint.value = f"<b>Hint:</b> {html.escape(str(problem))}"
        if get_ipython() is None:  # no front end to show anything to (e.g. unit tests)
            return
        with self.output:
            clear_output(wait=True)
            for view in self.views:
                display(view)

    @property
    def widget(self) -> W.VBox:
        row = W.HBox(list(self.controls.values()), layout=W.Layout(flex_flow="row wrap"))
        return W.VBox([row, self.hint, self.output])

    def _ipython_display_(self) -> None:
        display(self.widget)


def _state(values: dict):
    """A hashable key for a control state, or None if a value cannot be one."""
    key = tuple(values.items())
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _year_range(first: int, years: tuple[int, int]) -> W.IntRangeSlider:
    """The explorers' year slider, wide enough for its readout ("2013 – 2022")."""
    return W.IntRangeSlider(
        min=first,
        max=2025,
        value=years,
        description="Years:",
        continuous_update=False,
        style=WIDE,
        layout=W.Layout(width="440px"),
    )


def _tables(*names: str) -> SimpleNamespace:
    return SimpleNamespace(**{name: load(name) for name in names})


def _month_options(first: str, last: str) -> list[tuple[str, pd.Timestamp]]:
    return [(f"{month:%b %Y}", month) for month in pd.date_range(first, last, freq="MS")]


# --- lesson 01 --------------------------------------------------------------------------------


def presence_explorer(on: str = "2016-06-01") -> Explorer:
    """Pick a month: which operations were under way, and with how many people."""
    t = _tables("operations", "personnel", "sources")
    slider = W.SelectionSlider(
        options=_month_options("2012-01-01", "2025-12-01"),
        value=pd.Timestamp(on),
        description="Date:",
        continuous_update=False,
        style=WIDE,
        layout=W.Layout(width="560px"),
    )

    def compute(on):
        return analysis.operations_present(t.operations, t.personnel, on)

    timeline = figures.TimelineView(t.operations, t.sources)
    personnel = figures.PersonnelView(t.sources, t.personnel)

    def draw(present, on):
        columns = [
            "name",
            "actor_type",
            "personnel",
            "low",
            "high",
            "scope",
            "measure",
            "observed_on",
        ]
        return [
            personnel.update(present, on, live=True),
            timeline.at(on),
            table_view(present[columns]),
        ]

    return Explorer({"on": slider}, compute, draw)


# --- lesson 02 --------------------------------------------------------------------------------


def spending_explorer(
    actors=("UN", "France", "EU", "regional", "US"), years=(2013, 2022)
) -> Explorer:
    """Toggle actors, choose the measure and the years: spending with its uncertainty."""
    t = _tables("costs", "operations", "economy", "sources", "exchange_rates", "deflator")
    every_measure = {**analysis.MEASURES, **analysis.REAL_MEASURES}
    measures = [(label, key) for key, label in every_measure.items()]
    sahel_label = "Include amounts that cover the whole Sahel"
    controls = {
        "actors": W.SelectMultiple(
            options=figures.ACTORS,
            value=tuple(actors),
            rows=7,
            description="Actors:",
            style=WIDE,
            layout=fitted("select", "Actors:", figures.ACTORS),
        ),
        "measure": W.Dropdown(
            options=measures,
            value="usd",
            description="Measure:",
            style=WIDE,
            layout=fitted("dropdown", "Measure:", [label for label, _ in measures]),
        ),
        "years": _year_range(2012, years),
        "include_sahel_wide": W.Checkbox(
            value=True,
            description=sahel_label,
            indent=False,
            style=WIDE,
            layout=fitted("checkbox", labels=[sahel_label]),
        ),
    }
    every_year = (controls["years"].min, controls["years"].max)

    @lru_cache(maxsize=32)
    def all_years(actors, measure, include_sahel_wide):
        if measure == "constant_usd":  # the same dollars, deflated
            dollars = all_years(actors, "usd", include_sahel_wide)
            return analysis.to_constant_usd(dollars, t.deflator)
        if measure != "usd":  # the same dollars, divided by GDP or population
            dollars = all_years(actors, "usd", include_sahel_wide)
            return analysis._in_measure(dollars, t.economy, measure)
        return analysis.yearly_spending(
            t.costs,
            t.operations,
            t.economy,
            actors=actors,
            years=every_year,
            measure=measure,
            include_sahel_wide=include_sahel_wide,
        )

    def compute(actors, measure, years, include_sahel_wide):
        # Each year's row depends on that year alone, so the years in range are a slice of
        # the whole series, computed once per choice of actors and scope (in dollars; the
        # other measures divide it). Tests check that this equals yearly_spending itself.
        first, last = analysis.check_years(years)
        if not every_year[0] <= first <= last <= every_year[1]:
            return analysis.yearly_spending(
                t.costs,
                t.operations,
                t.economy,
                actors=actors,
                years=years,
                measure=measure,
                include_sahel_wide=include_sahel_wide,
            )
        spending = all_years(tuple(actors), measure, include_sahel_wide)
        return spending[spending["year"].between(first, last)].reset_index(drop=True)

    view = figures.SpendingView(t.sources, t.costs, operations=t.operations, rates=t.exchange_rates)

    def draw(spending, measure, **_):
        gaps = spending[spending["missing"] != ""][["year", "actor_type", "missing"]]
        note = HTML(
            f"<b>Not in the totals</b> (no cost figure for part of the year): {len(gaps)} cells"
        )
        return [view.update(spending, measure, live=True), note, table_view(gaps)]

    return Explorer(controls, compute, draw)


# --- lesson 03 --------------------------------------------------------------------------------


def coup_explorer(
    countries=("MLI", "BFA", "NER", "GIN", "TCD", "SDN", "GAB"), years=(1960, 2025)
) -> Explorer:
    """Choose countries and years: the coup timeline and the intervals between coups."""
    t = _tables("coups", "countries", "sources")
    names = t.countries.sort_values("name")
    controls = {
        "country_codes": W.SelectMultiple(
            options=list(zip(names["name"], names["country_iso3"], strict=True)),
            value=tuple(countries),
            rows=8,
            description="Countries:",
            style=WIDE,
            layout=fitted("select", "Countries:", names["name"]),
        ),
        "years": _year_range(1960, years),
        "include_failed": W.Checkbox(
            value=True,
            description="Include failed attempts",
            indent=False,
            style=WIDE,
            layout=fitted("checkbox", labels=["Include failed attempts"]),
        ),
    }

    def compute(country_codes, years, include_failed):
        return analysis.coup_timeline(
            t.coups,
            t.countries,
            country_codes=country_codes,
            years=years,
            include_failed=include_failed,
        )

    strip = figures.CoupView(t.sources)

    def draw(timeline, **_):
        intervals = analysis.intervals_between_coups(timeline)
        return [strip.update(timeline, live=True), table_view(intervals)]

    return Explorer(controls, compute, draw)


# --- lesson 04 --------------------------------------------------------------------------------


def event_explorer(event_id: str | None = None, before: int = 3, after: int = 3) -> Explorer:
    """Pick an event: what came before it and what followed."""
    t = _tables("events", "sources")
    events = t.events.sort_values("date")
    options = [(f"{r.date:%Y-%m-%d}  {r.title}", r.event_id) for r in events.itertuples()]
    controls = {
        "event_id": W.Dropdown(
            options=options,
            value=event_id or options[len(options) // 2][1],
            description="Event:",
            style=WIDE,
            layout=fitted("dropdown", "Event:", [label for label, _ in options]),
        ),
        "before": W.IntSlider(min=0, max=10, value=before, description="Before:", style=WIDE),
        "after": W.IntSlider(min=0, max=10, value=after, description="After:", style=WIDE),
    }

    def compute(event_id, before, after):
        return analysis.events_around(t.events, event_id, before=before, after=after)

    def draw(window, **_):
        table = window[["position", "date", "category", "title", "days_from"]]
        return [figures.events_window(window, t.sources), table_view(table)]

    return Explorer(controls, compute, draw)


# --- lesson 05 --------------------------------------------------------------------------------


def claim_explorer(claim_id: str = "c01") -> Explorer:
    """Pick a claim of the op-ed: its type, verdict, reasoning and the documents behind it."""
    t = _tables("claims", "sources")
    options = [(f"{r.claim_id}: {r.quote[:70]}…", r.claim_id) for r in t.claims.itertuples()]
    controls = {
        "claim_id": W.Dropdown(
            options=options,
            value=claim_id,
            description="Claim:",
            style=WIDE,
            layout=fitted("dropdown", "Claim:", [label for label, _ in options]),
        )
    }

    def compute(claim_id):
        return analysis.claim_with_evidence(t.claims, t.sources, claim_id)

    def draw(found, **_):
        claim = found["claim"]
        card = HTML(
            f"<blockquote>“{html.escape(claim.quote)}” <small>(the op-ed)</small></blockquote>"
            f"<p><b>Type:</b> {claim.claim_type} &nbsp; <b>Topic:</b> {claim.topic} &nbsp; "
            f"<b>Verdict in claims.csv:</b> {claim.verdict}</p>"
            f"<p><b>Reasoning:</b> {html.escape(claim.reasoning)}</p>"
            f"<p><b>Evidence tables:</b> {claim.evidence_tables}</p>"
        )
        return [card, table_view(found["sources"])]

    return Explorer(controls, compute, draw)


VERDICTS = ("supported", "partly supported", "contradicted", "unverifiable")


class VerdictRecorder:
    """The student's own verdict on each claim, saved to the answer book when submitted.

    Re-running the cell reads the saved verdicts back instead of resetting them.
    """

    def __init__(self, book: AnswerBook, claim_ids: list[str]):
        self.book = book
        saved = book.get("verdicts", {}) or {}
        self.choices = {
            claim_id: W.Dropdown(
                options=[("(not yet)", None), *[(v, v) for v in VERDICTS]],
                value=saved.get(claim_id),
                description=claim_id,
                style=WIDE,
                layout=fitted("dropdown", claim_id, ["(not yet)", *VERDICTS]),
            )
            for claim_id in claim_ids
        }
        self.button = W.Button(description="Save my verdicts", button_style="primary")
        self.status = W.HTML(self._status(saved))
        self.button.on_click(lambda _: self.save())

    @property
    def verdicts(self) -> dict[str, str]:
        return {claim: box.value for claim, box in self.choices.items() if box.value is not None}

    def save(self) -> None:
        self.book.save("verdicts", self.verdicts)
        self.status.value = self._status(self.verdicts)

    def _status(self, saved: dict) -> str:
        return f"{len(saved)} verdict(s) saved in <code>{html.escape(str(self.book.path))}</code>."

    def _ipython_display_(self) -> None:
        grid = W.GridBox(
            list(self.choices.values()),
            layout=W.Layout(grid_template_columns="repeat(auto-fill, minmax(220px, 1fr))"),
        )
        display(W.VBox([grid, self.button, self.status]))


class AnswerBox:
    """An answer given with a widget, saved to the answer book when the student presses Submit.

    On creation it shows the answer saved earlier, if any: re-running the cell or the whole
    notebook never erases it. Grading reads the answer book, not the widget.
    """

    def __init__(self, book: AnswerBook, question: str, options=None, placeholder: str = ""):
        self.book, self.question = book, question
        saved = book.get(question)
        if options is None:
            self.input = W.Text(
                value=saved or "",
                placeholder=placeholder,
                description="Answer:",
                style=WIDE,
                layout=fitted("text", "Answer:", [placeholder, "x" * 30]),
            )
        else:
            choices = [("(choose)", None), *[(str(o), o) for o in options]]
            self.input = W.Dropdown(
                options=choices,
                value=saved,
                description="Answer:",
                style=WIDE,
                layout=fitted("dropdown", "Answer:", [label for label, _ in choices]),
            )
        self.button = W.Button(description="Submit", button_style="primary")
        self.status = W.HTML(self._status(saved))
        self.button.on_click(lambda _: self.submit(self.input.value))

    def submit(self, value) -> None:
        if value in (None, ""):
            self.status.value = "Nothing to submit yet: give an answer first."
            return
        self.book.save(self.question, value)
        self.status.value = self._status(value)

    def _status(self, saved) -> str:
        if saved in (None, ""):
            return "Not submitted yet."
        where = html.escape(str(self.book.path))
        return f"Submitted: <b>{html.escape(str(saved))}</b> (saved in {where})."

    def _ipython_display_(self) -> None:
        display(W.VBox([W.HBox([self.input, self.button]), self.status]))


# --- lesson 06 --------------------------------------------------------------------------------


def human_cost_explorer(
    indicators=("spending_usd", "civilians_killed_un", "idps"), years=(2012, 2025)
) -> Explorer:
    """Choose series and years: each in its own panel, with a table of the values shown."""
    names = ["fatalities", "displacement", "humanitarian_funding", "costs", "operations"]
    tables = vars(_tables(*names, "economy", "sources"))
    options = [(label, key) for key, label in analysis.HUMAN_COST_INDICATORS.items()]
    controls = {
        "indicators": W.SelectMultiple(
            options=options,
            value=tuple(indicators),
            rows=len(options),
            description="Series:",
            style=WIDE,
            layout=fitted("select", "Series:", [label for label, _ in options]),
        ),
        "years": _year_range(2012, years),
    }

    def compute(indicators, years):
        return analysis.human_cost_indicators(tables, indicators=indicators, years=years)

    def draw(frame, **_):
        shown = frame.assign(
            value=[
                "–" if pd.isna(v) else f"{v:,.0f}" + (" (floor)" if f else "")
                for v, f in zip(frame["value"], frame["floor"], strict=True)
            ]
        )
        table = shown.pivot(index="year", columns="indicator", values="value").reset_index()
        table.columns.name = None
        return [
            figures.human_cost_panels(frame, tables["sources"], mark_year=2022),
            table_view(table),
        ]

    return Explorer(controls, compute, draw)
