"""Lesson 06's functions: one measure at a time, stocks at a date, appeals as stated, and
indicators that are compared side by side and never added. Small frames first, then the real
tables."""

import numpy as np
import pandas as pd
import pytest

from malicourse import analysis
from malicourse.analysis import CourseInputError
from malicourse.data import load

UN = "civilians killed (UN human-rights reports)"
UCDP = "battle-related deaths (UCDP)"
HRW = "civilians killed (Human Rights Watch)"


def fatalities(rows):
    frame = pd.DataFrame(
        rows,
        columns=["period_start", "period_end", "measure", "category", "value", "qualifier"],
    )
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    frame["period_end"] = pd.to_datetime(frame["period_end"])
    for column in ("measure", "category", "qualifier"):
        frame[column] = frame[column].astype("category")
    frame["value"] = frame["value"].astype("Int64")
    frame["low"], frame["high"] = frame["value"], frame["value"]
    frame["source_ids"] = "s"
    return frame


SMALL = fatalities(
    [
        ("2021-01-01", "2021-12-31", UN, "all perpetrators", 584, "stated"),
        ("2021-01-01", "2021-06-30", UN, "all perpetrators", 266, "stated"),
        ("2021-07-01", "2021-12-31", UN, "all perpetrators", 318, "stated"),
        ("2021-01-03", "2021-01-03", UN, "international forces (Barkhane)", 19, "stated"),
        ("2022-01-01", "2022-03-31", UN, "all perpetrators", 543, "stated"),
        ("2022-01-01", "2022-06-30", UN, "all perpetrators", 860, "at least"),
        ("2022-04-01", "2022-06-30", UN, "all perpetrators", 317, "stated"),
        ("2022-10-01", "2022-12-31", UN, "all perpetrators", 174, "stated"),
        ("2017-01-01", "2017-12-31", UCDP, "state-based conflict", 359, "stated"),
        ("2024-05-01", "2024-12-01", HRW, "Malian armed forces and Wagner Group", 32, "at least"),
    ]
)


# --- yearly_fatalities ---------------------------------------------------------------------


def test_a_whole_year_row_wins_over_the_periods_inside_it():
    year = analysis.yearly_fatalities(SMALL, measure=UN, years=(2021, 2021)).iloc[0]
    assert year["value"] == 584 and year["days_covered"] == 365 and not year["floor"]
    assert year["periods"] == "2021-01-01 to 2021-12-31"


def test_parts_of_a_year_are_added_only_where_they_do_not_overlap():
    year = analysis.yearly_fatalities(SMALL, measure=UN, years=(2022, 2022)).iloc[0]
    # the half-year is taken (longest first); the two quarters inside it are left out
    assert year["value"] == 860 + 174
    assert year["days_covered"] == 181 + 92
    assert year["floor"]  # part of the year uncovered, and "at least"


def test_other_categories_and_measures_are_never_mixed_in():
    year = analysis.yearly_fatalities(SMALL, measure=UN, years=(2021, 2021)).iloc[0]
    assert year["category"] == "all perpetrators"  # the Barkhane row is another category
    ucdp = analysis.yearly_fatalities(SMALL, measure=UCDP, years=(2017, 2022))
    assert ucdp.loc[ucdp["year"] == 2017, "value"].item() == 359
    assert ucdp.loc[ucdp["year"] != 2017, "value"].isna().all()
    assert not ucdp.loc[ucdp["year"] != 2017, "floor"].any()


def test_a_year_without_a_row_is_missing_not_zero():
    years = analysis.yearly_fatalities(SMALL, measure=UN, years=(2020, 2023))
    assert list(years["year"]) == [2020, 2021, 2022, 2023]
    assert np.isnan(years.loc[years["year"] == 2020, "value"].item())
    assert years.loc[years["year"] == 2020, "days_covered"].item() == 0


def test_a_measure_without_a_total_needs_a_category():
    with pytest.raises(CourseInputError, match="choose a category"):
        analysis.yearly_fatalities(SMALL, measure=HRW)
    found = analysis.yearly_fatalities(
        SMALL, measure=HRW, category="Malian armed forces and Wagner Group", years=(2024, 2024)
    )
    assert found["value"].item() == 32 and found["floor"].item()


def test_unknown_measure_or_category_says_what_exists():
    with pytest.raises(CourseInputError, match="unknown measure 'deaths'; choose from: battle"):
        analysis.yearly_fatalities(SMALL, measure="deaths")
    with pytest.raises(CourseInputError, match="unknown category 'militias'"):
        analysis.yearly_fatalities(SMALL, measure=UN, category="militias")


def test_inverted_year_range_is_explained():
    with pytest.raises(CourseInputError, match="inverted"):
        analysis.yearly_fatalities(SMALL, measure=UN, years=(2023, 2020))


# --- displacement and appeals ----------------------------------------------------------------


def test_displacement_takes_one_stock_per_year_with_its_date():
    real = load("displacement")
    latest = analysis.displacement_by_year(real, years=(2020, 2022))
    idps = real[real["population"] == "internally displaced people"]
    for row in latest.itertuples():
        in_year = idps[idps["reference_date"].dt.year == row.year]
        last = in_year.sort_values("reference_date").iloc[-1]
        assert row.value == last["value"] and row.reference_date == last["reference_date"]
    highest = analysis.displacement_by_year(real, years=(2022, 2022), how="highest")
    assert highest["value"].item() == idps[idps["reference_date"].dt.year == 2022]["value"].max()


def test_displacement_rejects_an_unknown_population_or_rule():
    real = load("displacement")
    with pytest.raises(CourseInputError, match="unknown population 'migrants'"):
        analysis.displacement_by_year(real, population="migrants")
    with pytest.raises(CourseInputError, match="latest, highest"):
        analysis.displacement_by_year(real, how="mean")


def test_appeals_are_as_stated_and_never_derived():
    funding = load("humanitarian_funding")
    appeals = analysis.appeal_by_year(funding, years=(2014, 2021)).set_index("year")
    # 2014: the mid-year revision (481 million) is the latest stated requirement
    assert appeals.loc[2014, "requirements_usd"] == 481e6
    assert appeals.loc[2014, "requirements_stage"] == "revision"
    assert appeals.loc[2021, "coverage_pct"] == 38 and appeals.loc[2021, "coverage_stage"] == (
        "year-end"
    )
    # 2018: the August share comes with a stated gap; funding received is not worked out from it
    august = funding[(funding["year"] == 2018) & (funding["as_of"] == "2018-08-31")]
    assert len(august) == 1 and august["funding_usd"].isna().all()
    assert appeals.loc[2018, "coverage_stage"] == "year-end"


# --- indicators side by side -----------------------------------------------------------------


@pytest.fixture(scope="module")
def tables():
    names = ["fatalities", "displacement", "humanitarian_funding", "costs", "operations"]
    return {name: load(name) for name in [*names, "economy"]}


def test_every_indicator_is_one_yearly_series_with_its_own_unit(tables):
    every = analysis.human_cost_indicators(
        tables, indicators=list(analysis.HUMAN_COST_INDICATORS), years=(2012, 2025)
    )
    assert set(every["indicator"]) == set(analysis.HUMAN_COST_INDICATORS)
    assert not every.duplicated(["indicator", "year"]).any()
    assert every.groupby("indicator")["unit"].nunique().eq(1).all()
    assert every["floor"].dtype == bool
    with_value = every.dropna(subset=["value"])
    assert (with_value["source_ids"] != "").all(), "every value names its documents"


def test_year_end_coverage_only(tables):
    coverage = analysis.human_cost_indicators(
        tables, indicators=["appeal_coverage_pct"], years=(2013, 2025)
    ).set_index("year")["value"]
    assert np.isnan(coverage[2013]) and np.isnan(coverage[2016])  # interim shares only
    assert coverage[2019] == 52  # the later of two OCHA statements (51 on 31 December 2019)


def test_indicators_reject_an_empty_or_unknown_choice(tables):
    with pytest.raises(CourseInputError, match="choose at least one indicator"):
        analysis.human_cost_indicators(tables, indicators=[])
    with pytest.raises(CourseInputError, match="unknown indicator 'deaths'"):
        analysis.human_cost_indicators(tables, indicators=["deaths"])
    with pytest.raises(CourseInputError, match="inverted"):
        analysis.human_cost_indicators(tables, indicators=["idps"], years=(2025, 2012))


# --- before and after ------------------------------------------------------------------------

FRAME = pd.DataFrame(
    {
        "indicator": ["idps"] * 5,
        "year": [2019, 2020, 2021, 2022, 2023],
        "value": [100.0, 200.0, np.nan, 400.0, 300.0],
        "floor": [False, True, False, False, False],
    }
)


def test_compare_periods_counts_years_with_a_figure_and_floors():
    table = analysis.compare_periods(
        FRAME, indicator="idps", before=(2019, 2021), after=(2022, 2024)
    ).set_index("period")
    assert table.loc["before", "years"] == 3 and table.loc["before", "years_with_figure"] == 2
    assert table.loc["before", "years_floor"] == 1
    assert table.loc["before", "mean"] == 150 and table.loc["after", "highest"] == 400
    assert table.loc["after", "years_listed"] == "2022, 2023"


def test_compare_periods_rejects_bad_choices():
    with pytest.raises(CourseInputError, match="unknown indicator 'refugees'"):
        analysis.compare_periods(FRAME, indicator="refugees")
    with pytest.raises(CourseInputError, match="inverted"):
        analysis.compare_periods(FRAME, indicator="idps", before=(2021, 2019))
    with pytest.raises(CourseInputError, match="overlap"):
        analysis.compare_periods(FRAME, indicator="idps", before=(2019, 2022), after=(2022, 2023))


def test_an_empty_period_has_no_mean_rather_than_zero():
    table = analysis.compare_periods(FRAME, indicator="idps", before=(2010, 2012))
    before = table.set_index("period").loc["before"]
    assert before["years_with_figure"] == 0 and np.isnan(before["mean"])


# --- the figure and the explorer -------------------------------------------------------------


def test_human_cost_panels_draw_one_panel_per_series_with_sources(tables):
    from malicourse import figures

    frame = analysis.human_cost_indicators(
        tables, indicators=["battle_deaths_ucdp", "idps"], years=(2012, 2024)
    )
    chart = figures.human_cost_panels(frame, load("sources"), mark_year=2022)
    assert len(chart.figure.axes) == 2
    assert all(ax.get_title(loc="left") for ax in chart.figure.axes)
    assert chart.figure.axes[-1].get_xlabel()
    assert chart.description.endswith(".") and chart.description.startswith("2 yearly series")
    assert chart.sources.startswith("Source: ") and "data/sources.csv" in chart.sources
    assert "data/fatalities.csv" in chart.sources and "data/displacement.csv" in chart.sources
    assert "<svg" in chart.svg()


def test_human_cost_explorer_follows_its_controls():
    from malicourse import widgets

    explorer = widgets.human_cost_explorer()
    explorer.controls["indicators"].value = ("idps",)
    explorer.controls["years"].value = (2019, 2023)
    assert set(explorer.result["indicator"]) == {"idps"}
    assert explorer.result["year"].tolist() == list(range(2019, 2024))
    explorer.controls["indicators"].value = ()
    assert "choose at least one indicator" in explorer.hint.value
    box = explorer.widget
    assert list(box.children[0].children) == list(explorer.controls.values())
