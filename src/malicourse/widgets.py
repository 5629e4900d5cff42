"""Explorers: controls wired to a pure analysis function and a figure, nothing more.

An :class:`Explorer` recomputes and redraws whenever a control changes. It keeps what it last
computed (``result``) and showed (``views``), so tests drive the controls from code and check
both. A choice that cannot work shows a hint where the figure would be, never a traceback.
Every control is a standard ipywidget: reachable with Tab and operated with the arrow keys.
"""

from __future__ import annotations

import html
from collections.abc import Callable
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


class Explorer:
    def __init__(self, controls: dict[str, W.ValueWidget], compute: Callable, draw: Callable):
        self.controls, self.compute, self.draw = controls, compute, draw
        self.hint = W.HTML()
        self.output = W.Output()
        self.result: pd.DataFrame | dict | None = None
        self.views: list = []
        for control in controls.values():
            control.observe(lambda _change: self.refresh(), names="value")
        self.refresh()

    @property
    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self) -> None:
        try:
            self.result = self.compute(**self.values)
            self.views = self.draw(self.result, **self.values)
            self.hint.value = ""
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
        layout=W.Layout(width="520px"),
    )

    def compute(on):
        return analysis.operations_present(t.operations, t.personnel, on)

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
        table = present[columns]
        return [
            figures.personnel_present(present, t.sources, t.personnel, on),
            figures.operations_timeline(t.operations, t.sources, on=on),
            table,
        ]

    return Explorer({"on": slider}, compute, draw)


# --- lesson 02 --------------------------------------------------------------------------------


def spending_explorer(
    actors=("UN", "France", "EU", "regional", "US"), years=(2013, 2022)
) -> Explorer:
    """Toggle actors, choose the measure and the years: spending with its uncertainty."""
    t = _tables("costs", "operations", "economy", "sources")
    controls = {
        "actors": W.SelectMultiple(
            options=figures.ACTORS, value=tuple(actors), rows=7, description="Actors:", style=WIDE
        ),
        "measure": W.Dropdown(
            options=[(label, key) for key, label in analysis.MEASURES.items()],
            value="usd",
            description="Measure:",
        ),
        "years": W.IntRangeSlider(
            min=2012, max=2025, value=years, description="Years:", continuous_update=False
        ),
        "include_sahel_wide": W.Checkbox(
            value=True, description="Include amounts that cover the whole Sahel", style=WIDE
        ),
    }

    def compute(actors, measure, years, include_sahel_wide):
        return analysis.yearly_spending(
            t.costs,
            t.operations,
            t.economy,
            actors=actors,
            years=years,
            measure=measure,
            include_sahel_wide=include_sahel_wide,
        )

    def draw(spending, measure, **_):
        gaps = spending[spending["missing"] != ""][["year", "actor_type", "missing"]]
        note = HTML(
            f"<b>Not in the totals</b> (no cost figure for part of the year): {len(gaps)} cells"
        )
        return [figures.spending_over_time(spending, t.sources, t.costs, measure), note, gaps]

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
        ),
        "years": W.IntRangeSlider(
            min=1960, max=2025, value=years, description="Years:", continuous_update=False
        ),
        "include_failed": W.Checkbox(value=True, description="Include failed attempts", style=WIDE),
    }

    def compute(country_codes, years, include_failed):
        return analysis.coup_timeline(
            t.coups,
            t.countries,
            country_codes=country_codes,
            years=years,
            include_failed=include_failed,
        )

    def draw(timeline, **_):
        intervals = analysis.intervals_between_coups(timeline)
        return [figures.coup_strip(timeline, t.sources), intervals]

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
            layout=W.Layout(width="620px"),
        ),
        "before": W.IntSlider(min=0, max=10, value=before, description="Before:"),
        "after": W.IntSlider(min=0, max=10, value=after, description="After:"),
    }

    def compute(event_id, before, after):
        return analysis.events_around(t.events, event_id, before=before, after=after)

    def draw(window, **_):
        table = window[["position", "date", "category", "title", "days_from"]]
        return [figures.events_window(window, t.sources), table]

    return Explorer(controls, compute, draw)


# --- lesson 05 --------------------------------------------------------------------------------


def claim_explorer(claim_id: str = "c01") -> Explorer:
    """Pick a claim of the op-ed: its type, verdict, reasoning and the documents behind it."""
    t = _tables("claims", "sources")
    options = [(f"{r.claim_id}: {r.quote[:70]}…", r.claim_id) for r in t.claims.itertuples()]
    controls = {
        "claim_id": W.Dropdown(
            options=options, value=claim_id, description="Claim:", layout=W.Layout(width="720px")
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
        return [card, found["sources"]]

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
            list(self.choices.values()), layout=W.Layout(grid_template_columns="repeat(3, 300px)")
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
            self.input = W.Text(value=saved or "", placeholder=placeholder, description="Answer:")
        else:
            choices = [("(choose)", None), *[(str(o), o) for o in options]]
            self.input = W.Dropdown(options=choices, value=saved, description="Answer:")
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
