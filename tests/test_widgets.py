"""Explorers driven from code, as a student would with the mouse: results and figures follow."""

import warnings

import ipywidgets as W
import pandas as pd
import pytest
from IPython.display import HTML

from malicourse import analysis, widgets
from malicourse.answers import AnswerBook
from malicourse.data import load
from malicourse.figures import Chart

EXPLORERS = [
    widgets.presence_explorer,
    widgets.spending_explorer,
    widgets.coup_explorer,
    widgets.event_explorer,
    widgets.claim_explorer,
]


def charts(explorer):
    return [view for view in explorer.views if isinstance(view, Chart)]


def test_presence_explorer_follows_the_date():
    explorer = widgets.presence_explorer(on="2016-06-01")
    assert "minusma" in set(explorer.result["operation_id"])
    assert "serval" not in set(explorer.result["operation_id"])
    explorer.controls["on"].value = pd.Timestamp("2013-03-01")
    assert {"serval", "afisma"} <= set(explorer.result["operation_id"])
    assert (
        "March 2013"
        in charts(explorer)[0].figure.axes[0].get_title() + charts(explorer)[0].description
    )
    explorer.controls["on"].value = pd.Timestamp("2024-06-01")
    assert "minusma" not in set(explorer.result["operation_id"])


def test_spending_explorer_follows_actors_measure_and_years():
    explorer = widgets.spending_explorer(actors=("UN", "France"), years=(2014, 2020))
    assert set(explorer.result["actor_type"]) == {"UN", "France"}
    explorer.controls["actors"].value = ("UN",)
    assert set(explorer.result["actor_type"]) == {"UN"}
    lines = charts(explorer)[0].figure.axes[0].get_lines()
    assert len(lines) == 1
    usd = explorer.result.set_index("year")["value"]
    explorer.controls["measure"].value = "share_of_gdp"
    share = explorer.result.set_index("year")["value"]
    assert (share < usd).all() and share.max() < 30
    explorer.controls["years"].value = (2018, 2019)
    assert list(explorer.result["year"]) == [2018, 2019]


def test_spending_explorer_shows_a_hint_for_an_empty_selection():
    explorer = widgets.spending_explorer()
    explorer.controls["actors"].value = ()
    assert explorer.result is None and explorer.views == []
    assert "choose at least one actor" in explorer.hint.value
    explorer.controls["actors"].value = ("EU",)
    assert explorer.hint.value == "" and explorer.result is not None


def test_spending_explorer_excluding_sahel_wide_amounts_lowers_france():
    explorer = widgets.spending_explorer(actors=("France",), years=(2015, 2021))
    with_sahel = explorer.result["value"].sum()
    explorer.controls["include_sahel_wide"].value = False
    assert explorer.result["value"].sum() < with_sahel


def test_coup_explorer_follows_countries_and_years():
    explorer = widgets.coup_explorer(countries=("MLI",), years=(1960, 2025))
    assert set(explorer.result["country_iso3"]) == {"MLI"}
    assert {1968, 2012, 2020, 2021} <= set(explorer.result["date"].dt.year)
    explorer.controls["years"].value = (2020, 2023)
    assert set(explorer.result["date"].dt.year) <= {2020, 2021, 2022, 2023}
    explorer.controls["country_codes"].value = ("MLI", "BFA", "NER")
    assert {"MLI", "BFA", "NER"} == set(explorer.result["country_iso3"])
    failed = (explorer.result["outcome"] == "failed").sum()
    explorer.controls["include_failed"].value = False
    assert (explorer.result["outcome"] == "failed").sum() == 0 <= failed


def test_event_explorer_moves_its_window():
    explorer = widgets.event_explorer(before=2, after=2)
    first = explorer.controls["event_id"].options[10][1]
    explorer.controls["event_id"].value = first
    assert explorer.result.loc[explorer.result["position"] == 0, "event_id"].item() == first
    assert len(explorer.result) == 5
    explorer.controls["after"].value = 6
    assert explorer.result["position"].max() == 6


def test_claim_explorer_shows_the_chosen_claim():
    explorer = widgets.claim_explorer("c01")
    assert explorer.result["claim"]["claim_id"] == "c01"
    last = explorer.controls["claim_id"].options[-1][1]
    explorer.controls["claim_id"].value = last
    assert explorer.result["claim"]["claim_id"] == last
    assert len(explorer.result["sources"]) >= 1


@pytest.mark.parametrize("make", EXPLORERS)
def test_every_explorer_renders_as_a_widget(make):
    explorer = make()
    box = explorer.widget
    assert list(box.children[0].children) == list(explorer.controls.values())


def values_to_try(control):
    """A handful of values across a control's range, as a student would pick them."""
    if isinstance(control, W.Checkbox):
        return [not control.value, control.value]
    if isinstance(control, W.SelectMultiple):
        values = (
            [value for _, value in control.options]
            if isinstance(control.options[0], tuple)
            else list(control.options)
        )
        return [values[:1], values[:3], values[-2:], values, control.value]
    if isinstance(control, W.IntRangeSlider):
        low, high = control.min, control.max
        return [(low, high), (low, low + 1), ((low + high) // 2, high), (high, high)]
    if isinstance(control, W.IntSlider):
        return [control.min, control.max, control.value]
    options = [value for _, value in control.options]
    return options[:: max(1, len(options) // 6)] + options[-1:]


def render(views):
    for view in views:
        if isinstance(view, Chart):
            assert "<svg" in view.svg()
        elif isinstance(view, HTML):
            assert view.data
        else:
            view.to_html()


@pytest.mark.parametrize("make", EXPLORERS)
def test_every_control_of_every_explorer_works_without_a_warning(make):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explorer = make()
        render(explorer.views)
        for name, control in explorer.controls.items():
            for value in values_to_try(control):
                control.value = tuple(value) if isinstance(value, list) else value
                assert explorer.hint.value == "" or explorer.views == [], (name, value)
                render(explorer.views)


def test_a_state_seen_before_is_shown_again_without_recomputing():
    explorer = widgets.presence_explorer(on="2016-06-01")
    first = explorer.views
    explorer.controls["on"].value = pd.Timestamp("2013-03-01")
    explorer.controls["on"].value = pd.Timestamp("2016-06-01")
    assert explorer.views is first
    title = charts(explorer)[0].figure.axes[0].get_title()
    assert "June 2016" in title  # the shared figure is back in the state it showed
    explorer = widgets.spending_explorer(actors=("UN",))
    explorer.controls["actors"].value = ("UN", "France", "EU")
    explorer.controls["actors"].value = ("UN",)
    assert len(charts(explorer)[0].figure.axes[0].get_lines()) == 1


@pytest.mark.parametrize("measure", [*analysis.MEASURES, *analysis.REAL_MEASURES])
def test_spending_explorer_computes_what_the_analysis_function_computes(measure):
    t = {name: load(name) for name in ("costs", "operations", "economy", "deflator")}
    explorer = widgets.spending_explorer(actors=("UN", "France", "US"))
    explorer.controls["measure"].value = measure
    for years in [(2012, 2025), (2013, 2022), (2016, 2016), (2019, 2024)]:
        for sahel in (True, False):
            explorer.controls["include_sahel_wide"].value = sahel
            explorer.controls["years"].value = years
            expected = analysis.yearly_spending(
                t["costs"],
                t["operations"],
                t["economy"],
                actors=("UN", "France", "US"),
                years=years,
                measure=measure,
                include_sahel_wide=sahel,
                deflator=t["deflator"],
            )
            # check_dtype: yearly_spending itself gives actor_type as category for some
            # single-year ranges and as str otherwise; the values are what matters here
            expected["actor_type"] = expected["actor_type"].astype(str)
            pd.testing.assert_frame_equal(explorer.result, expected, check_dtype=False)


@pytest.mark.parametrize("make", EXPLORERS)
def test_controls_are_wide_enough_for_their_text(make):
    """Descriptions, options and readouts fit: ipywidgets cuts them at 80 px and 300 px."""
    for control in make().controls.values():
        description = control.description
        width = control.layout.width
        if len(description) > 10 or isinstance(control, W.Checkbox):
            assert control.style.description_width == "initial", description
        if isinstance(control, W.Checkbox):
            assert control.indent is False
            assert int(width.removesuffix("px")) >= widgets.text_px(description)
        if isinstance(control, W.Dropdown | W.SelectMultiple):
            labels = (
                [label for label, _ in control.options]
                if isinstance(control.options[0], tuple)
                else control.options
            )
            needed = widgets.text_px(description) + max(map(widgets.text_px, labels))
            assert width and int(width.removesuffix("px")) >= needed, description
        if isinstance(control, W.IntRangeSlider):
            readout = f"{control.max} – {control.max}"
            assert int(width.removesuffix("px")) >= 300 + widgets.text_px(readout), description


def test_tables_in_explorers_show_no_index_and_plain_dates():
    explorer = widgets.coup_explorer(countries=("MLI",))
    table = [view for view in explorer.views if isinstance(view, HTML)][-1].data
    assert "<th>country_iso3</th>" in table and "00:00:00" not in table
    assert "<th></th>" not in table  # no index column


def test_verdict_recorder_saves_and_restores(tmp_path):
    book = AnswerBook("lesson05", tmp_path)
    recorder = widgets.VerdictRecorder(book, ["c01", "c02"])
    recorder.choices["c01"].value = "contradicted"
    recorder.button.click()
    assert book.get("verdicts") == {"c01": "contradicted"}
    again = widgets.VerdictRecorder(AnswerBook("lesson05", tmp_path), ["c01", "c02"])
    assert again.choices["c01"].value == "contradicted" and again.choices["c02"].value is None
    assert "1 verdict(s) saved" in again.status.value


def test_answer_box_saves_on_submit_and_restores(tmp_path):
    book = AnswerBook("set", tmp_path)
    box = widgets.AnswerBox(book, "q4", options=["2015", "2016"])
    assert "Not submitted yet" in box.status.value
    box.button.click()
    assert "Nothing to submit" in box.status.value and book.get("q4") is None
    box.input.value = "2016"
    box.button.click()
    assert book.get("q4") == "2016"
    again = widgets.AnswerBox(AnswerBook("set", tmp_path), "q4", options=["2015", "2016"])
    assert again.input.value == "2016" and "Submitted: <b>2016</b>" in again.status.value
