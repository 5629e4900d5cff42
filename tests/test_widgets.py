"""Explorers driven from code, as a student would with the mouse: results and figures follow."""

import pandas as pd
import pytest

from malicourse import widgets
from malicourse.answers import AnswerBook
from malicourse.figures import Chart


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


@pytest.mark.parametrize(
    "make",
    [
        widgets.presence_explorer,
        widgets.spending_explorer,
        widgets.coup_explorer,
        widgets.event_explorer,
        widgets.claim_explorer,
    ],
)
def test_every_explorer_renders_as_a_widget(make):
    explorer = make()
    box = explorer.widget
    assert list(box.children[0].children) == list(explorer.controls.values())


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
