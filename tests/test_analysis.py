"""The pure functions behind the lessons: correct on small hand-made tables, clear on bad input."""

import pandas as pd
import pytest

from malicourse import analysis
from malicourse.analysis import CourseInputError
from malicourse.data import load

ACTORS = ["UN", "France", "EU", "regional", "US", "Russia-linked", "Mali"]


def operations_frame(*rows):
    frame = pd.DataFrame(
        rows, columns=["operation_id", "name", "actor_type", "start_date", "end_date"]
    )
    frame["short_name"] = frame["name"]
    frame["actor_type"] = pd.Categorical(frame["actor_type"], categories=ACTORS)
    for column in ("start_date", "end_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def costs_frame(*rows):
    columns = [
        "operation_id",
        "period_start",
        "period_end",
        "amount_usd",
        "low_usd",
        "high_usd",
        "basis",
        "scope",
        "in_series",
        "source_ids",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("period_start", "period_end"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


OPS = operations_frame(
    ("un-mission", "UN mission", "UN", "2016-07-01", "2018-06-30"),
    ("fr-op", "French operation", "France", "2017-01-01", None),
)
COSTS = costs_frame(
    (
        "un-mission",
        "2016-07-01",
        "2017-06-30",
        365.0,
        300.0,
        400.0,
        "approved budget",
        "Mali",
        True,
        "s",
    ),
    ("un-mission", "2016-07-01", "2017-06-30", 999.0, 999.0, 999.0, "estimate", "Mali", False, "s"),
    ("fr-op", "2017-01-01", "2017-12-31", 100.0, 100.0, 100.0, "expenditure", "Sahel", True, "s"),
)
ECONOMY = pd.DataFrame(
    {
        "year": [2016, 2017, 2018],
        "gdp_current_usd": [1000.0, 2000.0, 4000.0],
        "population": [10, 20, 40],
    }
)


def test_annual_costs_splits_budget_years_by_days_and_skips_alternatives():
    annual = analysis.annual_costs(COSTS).set_index(["operation_id", "year"])
    assert annual.loc[("un-mission", 2016), "amount_usd"] == pytest.approx(184)
    assert annual.loc[("un-mission", 2017), "amount_usd"] == pytest.approx(181)
    assert annual.loc[("un-mission", 2016), "low_usd"] == pytest.approx(300 * 184 / 365)
    assert annual["amount_usd"].sum() == pytest.approx(465)  # the 999 alternative is not counted


def test_yearly_spending_in_each_measure():
    usd = analysis.yearly_spending(COSTS, OPS, ECONOMY, actors=["UN", "France"], years=(2016, 2017))
    un_2017 = usd[(usd["year"] == 2017) & (usd["actor_type"] == "UN")].iloc[0]
    assert un_2017["value"] == pytest.approx(181)
    share = analysis.yearly_spending(
        COSTS, OPS, ECONOMY, actors=["France"], years=(2017, 2017), measure="share_of_gdp"
    )
    assert share["value"].iloc[0] == pytest.approx(100 / 2000 * 100)
    per_person = analysis.yearly_spending(
        COSTS, OPS, ECONOMY, actors=["France"], years=(2017, 2017), measure="usd_per_person"
    )
    assert per_person["value"].iloc[0] == pytest.approx(5)


def test_years_without_figures_are_gaps_and_named():
    spending = analysis.yearly_spending(
        COSTS, OPS, ECONOMY, actors=["UN", "France"], years=(2016, 2018)
    )
    un_2018 = spending[(spending["year"] == 2018) & (spending["actor_type"] == "UN")].iloc[0]
    assert pd.isna(un_2018["value"])  # a gap, not a zero
    assert "un-mission" in un_2018["missing"]
    france_2016 = spending[(spending["year"] == 2016) & (spending["actor_type"] == "France")].iloc[
        0
    ]
    assert france_2016["missing"] == ""  # not yet under way, so nothing is missing


def test_sahel_wide_amounts_can_be_left_out():
    spending = analysis.yearly_spending(
        COSTS, OPS, ECONOMY, actors=["France"], years=(2017, 2017), include_sahel_wide=False
    )
    assert pd.isna(spending["value"].iloc[0])
    assert "fr-op" in spending["missing"].iloc[0]


def test_cost_coverage_counts_days():
    coverage = analysis.cost_coverage(COSTS, OPS, years=(2016, 2018)).set_index(
        ["operation_id", "year"]
    )
    assert coverage.loc[("un-mission", 2017), "coverage"] == pytest.approx(181 / 365)
    assert coverage.loc[("un-mission", 2016), "coverage"] == 1.0
    assert coverage.loc[("fr-op", 2018), "coverage"] == 0.0


def test_what_amounts_cover_names_each_kind_with_its_years():
    costs = COSTS.assign(cost_coverage=["assessed budget (mission only)", "not stated", "full"])
    extra = costs.iloc[[0]].assign(
        period_start=pd.Timestamp("2017-07-01"),
        period_end=pd.Timestamp("2018-06-30"),
        cost_coverage="not stated",
    )
    kinds = analysis.what_amounts_cover(pd.concat([costs, extra]), OPS, years=(2016, 2018))
    assert kinds.to_dict("records") == [
        {"actor_type": "France", "cost_coverage": "full", "years": "2017"},
        {
            "actor_type": "UN",
            "cost_coverage": "assessed budget (mission only)",
            "years": "2016-2017",
        },
        {"actor_type": "UN", "cost_coverage": "not stated", "years": "2017-2018"},
    ]  # the alternative row (in_series false) is not counted
    only_un = analysis.what_amounts_cover(costs, OPS, actors=["UN"], years=(2017, 2017))
    assert only_un["years"].tolist() == ["2017"]


def test_cost_share_of_gdp_adds_actors():
    share = analysis.cost_share_of_gdp(COSTS, OPS, ECONOMY, years=(2017, 2017))
    assert share["value"].iloc[0] == pytest.approx((181 + 100) / 2000 * 100)


@pytest.mark.parametrize(
    ("kwargs", "hint"),
    [
        ({"actors": ["Frnace"]}, "unknown actor 'Frnace'; choose from: UN, France"),
        ({"actors": []}, "choose at least one actor"),
        ({"actors": ["UN"], "years": (2020, 2015)}, "the year range is inverted (2020 > 2015)"),
        ({"actors": ["UN"], "years": "2015"}, "give the years as (first, last)"),
        ({"actors": ["UN"], "measure": "euros"}, "unknown measure 'euros'"),
    ],
)
def test_bad_spending_choices_get_hints(kwargs, hint):
    with pytest.raises(CourseInputError) as problem:
        analysis.yearly_spending(COSTS, OPS, ECONOMY, **kwargs)
    assert hint in str(problem.value)


def test_operations_present_uses_latest_count_before_the_date():
    personnel = pd.DataFrame(
        {
            "operation_id": ["un-mission", "un-mission", "un-mission"],
            "date": pd.to_datetime(["2016-07-01", "2017-03-01", "2018-01-01"]),
            "personnel": [100, 200, 300],
            "low": [100, 150, 300],
            "high": [100, 250, 300],
            "measure": "deployed",
            "scope": "Mali",
        }
    )
    present = analysis.operations_present(OPS, personnel, "2017-06-01").set_index("operation_id")
    assert set(present.index) == {"un-mission", "fr-op"}
    assert present.loc["un-mission", "personnel"] == 200
    assert present.loc["un-mission", "observed_on"] == pd.Timestamp("2017-03-01")
    assert pd.isna(present.loc["fr-op", "personnel"])
    assert analysis.operations_present(OPS, personnel, "2015-01-01").empty
    with pytest.raises(CourseInputError, match="is not a date"):
        analysis.operations_present(OPS, personnel, "last summer")


COUPS = pd.DataFrame(
    {
        "country_iso3": ["AAA", "AAA", "AAA", "BBB"],
        "date": pd.to_datetime(["1970-01-01", "1980-01-01", "1985-01-01", "1990-06-01"]),
        "outcome": ["successful", "failed", "successful", "successful"],
        "source_ids": "s",
    }
)
COUNTRIES = pd.DataFrame(
    {"country_iso3": ["AAA", "BBB"], "name": ["Aland", "Bland"], "region": ["Sahel", "West Africa"]}
)


def test_coup_timeline_filters_and_names():
    timeline = analysis.coup_timeline(COUPS, COUNTRIES, country_codes=["AAA"], years=(1975, 1990))
    assert list(timeline["date"].dt.year) == [1980, 1985]
    assert set(timeline["name"]) == {"Aland"}
    only_successful = analysis.coup_timeline(
        COUPS, COUNTRIES, country_codes=["AAA"], years=(1975, 1990), include_failed=False
    )
    assert list(only_successful["date"].dt.year) == [1985]
    with pytest.raises(CourseInputError, match="unknown country 'MLX'"):
        analysis.coup_timeline(COUPS, COUNTRIES, country_codes=["MLX"])


def test_intervals_between_successful_coups():
    intervals = analysis.intervals_between_coups(COUPS).set_index(["country_iso3", "date"])
    assert intervals.loc[
        ("AAA", pd.Timestamp("1985-01-01")), "years_since_previous"
    ] == pytest.approx(15, abs=0.01)
    assert pd.isna(intervals.loc[("BBB", pd.Timestamp("1990-06-01")), "years_since_previous"])


def test_coups_per_year_zero_fills():
    counts = analysis.coups_per_year(COUPS, years=(1979, 1981)).set_index("year")
    assert counts.loc[1980, "failed"] == 1 and counts.loc[1979, "successful"] == 0


EVENTS = pd.DataFrame(
    {
        "event_id": [f"e{i}" for i in range(6)],
        "date": pd.date_range("2020-01-01", periods=6, freq="MS"),
        "category": pd.Categorical(
            ["coup", "attack", "withdrawal", "attack", "agreement", "coup"],
            categories=["coup", "attack", "withdrawal", "agreement"],
        ),
        "title": [f"event {i}" for i in range(6)],
        "source_ids": "s",
    }
)


def test_events_around_counts_neighbours_and_gaps():
    window = analysis.events_around(EVENTS, "e2", before=1, after=2)
    assert list(window["event_id"]) == ["e1", "e2", "e3", "e4"]
    assert list(window["position"]) == [-1, 0, 1, 2]
    assert window.loc[window["event_id"] == "e3", "days_from"].item() == 31
    near_start = analysis.events_around(EVENTS, "e0", before=3, after=0)
    assert list(near_start["event_id"]) == ["e0"]


def test_events_around_filters_neighbours_by_category():
    window = analysis.events_around(EVENTS, "e2", before=5, after=5, categories=["coup"])
    assert list(window["event_id"]) == ["e0", "e2", "e5"]


def test_events_around_explains_bad_input():
    with pytest.raises(CourseInputError, match="no event 'e9'"):
        analysis.events_around(EVENTS, "e9")
    with pytest.raises(CourseInputError, match="cannot be negative"):
        analysis.events_around(EVENTS, "e1", before=-1)


def test_claims_and_verdicts_on_the_real_tables():
    claims, sources = load("claims"), load("sources")
    found = analysis.claim_with_evidence(claims, sources, "c01")
    assert found["claim"]["claim_id"] == "c01"
    assert list(found["sources"]["source_id"]) == found["claim"]["source_ids"].split(";")
    table = analysis.verdict_table(claims)
    assert table.loc["total", "total"] == len(claims)
    with pytest.raises(CourseInputError, match="no claim 'c99'"):
        analysis.claim_with_evidence(claims, sources, "c99")


def test_real_spending_is_plausible():
    costs, operations, economy = load("costs"), load("operations"), load("economy")
    share = analysis.cost_share_of_gdp(costs, operations, economy, years=(2014, 2021))
    assert share["value"].between(0, 30).all()  # percent of GDP, not a fraction or a sum gone wrong
