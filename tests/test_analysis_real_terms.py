"""Constant dollars and GDP shares by World Bank release: small frames, then the real tables."""

import pandas as pd
import pytest

from malicourse import analysis
from malicourse.analysis import CourseInputError
from malicourse.data import load

OPS = pd.DataFrame(
    {
        "operation_id": ["un-mission"],
        "name": ["UN mission"],
        "short_name": ["UN mission"],
        "actor_type": pd.Categorical(["UN"], categories=["UN", "France"]),
        "start_date": pd.to_datetime(["2023-01-01"]),
        "end_date": pd.to_datetime(["2024-12-31"]),
    }
)
COSTS = pd.DataFrame(
    {
        "operation_id": ["un-mission", "un-mission"],
        "period_start": pd.to_datetime(["2023-01-01", "2024-01-01"]),
        "period_end": pd.to_datetime(["2023-12-31", "2024-12-31"]),
        "amount_usd": [100.0, 200.0],
        "low_usd": [90.0, 200.0],
        "high_usd": [110.0, 200.0],
        "basis": ["approved budget", "approved budget"],
        "scope": ["Mali", "Mali"],
        "in_series": [True, True],
        "source_ids": ["s", "s"],
    }
)
DEFLATOR = pd.DataFrame(
    {
        "year": [2023, 2024, 2025],
        "cpi_u": [80.0, 100.0, 110.0],
        "cpi_u_low": [80.0, 100.0, 105.0],
        "cpi_u_high": [80.0, 100.0, 120.0],
    }
)
GDP = pd.DataFrame(
    {
        "year": [2023, 2024, 2023, 2024],
        "vintage": ["old-release", "old-release"] + [analysis.CURRENT_GDP_VINTAGE] * 2,
        "gdp_current_usd": [1000.0, 2000.0, 2000.0, 4000.0],
    }
)


def test_constant_dollars_rescale_to_the_base_year():
    spending = analysis.yearly_spending(
        COSTS,
        OPS,
        None,
        actors=["UN"],
        years=(2023, 2024),
        measure="constant_usd",
        deflator=DEFLATOR,
    ).set_index("year")
    assert analysis.BASE_YEAR == 2024
    assert spending.loc[2024, "value"] == pytest.approx(200)  # the base year is unchanged
    assert spending.loc[2023, "value"] == pytest.approx(100 * 100 / 80)  # prices rose 25%
    assert spending.loc[2023, "low"] == pytest.approx(90 * 100 / 80)


def test_an_uncertain_index_widens_the_bounds_and_a_missing_year_stays_empty():
    frame = pd.DataFrame(
        {"year": [2025, 2026], "value": [110.0, 5.0], "low": [110.0, 5.0], "high": [110.0, 5.0]}
    )
    real = analysis.to_constant_usd(frame, DEFLATOR).set_index("year")
    assert real.loc[2025, "value"] == pytest.approx(100)
    assert real.loc[2025, "low"] == pytest.approx(110 * 100 / 120)  # highest index, lowest value
    assert real.loc[2025, "high"] == pytest.approx(110 * 100 / 105)
    assert pd.isna(real.loc[2026, "value"])  # no index for 2026: no guess


def test_constant_dollars_without_the_deflator_explain_what_to_pass():
    with pytest.raises(CourseInputError, match="deflator=load"):
        analysis.yearly_spending(COSTS, OPS, None, actors=["UN"], measure="constant_usd")


def test_share_of_gdp_uses_the_current_release_by_default():
    share = analysis.cost_share_of_gdp_by_vintage(COSTS, OPS, GDP, years=(2023, 2024))
    assert set(share["vintage"]) == {analysis.CURRENT_GDP_VINTAGE}
    assert share.set_index("year").loc[2023, "value"] == pytest.approx(100 / 2000 * 100)


def test_share_of_gdp_by_release_shows_what_a_revision_does():
    share = analysis.cost_share_of_gdp_by_vintage(
        COSTS, OPS, GDP, years=(2023, 2024), vintages=["old-release", analysis.CURRENT_GDP_VINTAGE]
    ).set_index(["year", "vintage"])
    assert share.loc[(2024, "old-release"), "value"] == pytest.approx(10.0)
    assert share.loc[(2024, analysis.CURRENT_GDP_VINTAGE), "value"] == pytest.approx(5.0)
    assert share.loc[(2023, "old-release"), "high"] == pytest.approx(110 / 1000 * 100)
    with pytest.raises(CourseInputError, match="unknown GDP release 'wdi-1999'"):
        analysis.cost_share_of_gdp_by_vintage(COSTS, OPS, GDP, vintages=["wdi-1999"])


# --- the shipped tables ------------------------------------------------------------------


def test_the_deflator_is_based_on_2024_and_rises_with_prices():
    deflator = load("deflator").set_index("year")
    assert deflator.loc[analysis.BASE_YEAR, "price_index_2024"] == pytest.approx(100)
    assert deflator.loc[2010:2024, "cpi_u"].is_monotonic_increasing
    assert set(range(2010, 2025)) <= set(deflator.index)


def test_real_spending_in_constant_dollars_exceeds_nominal_before_the_base_year():
    costs, operations, economy = load("costs"), load("operations"), load("economy")
    kwargs = {"actors": ["UN"], "years": (2014, 2020)}
    nominal = analysis.yearly_spending(costs, operations, economy, **kwargs)
    real = analysis.yearly_spending(
        costs, operations, economy, measure="constant_usd", deflator=load("deflator"), **kwargs
    )
    assert (real["value"] > nominal["value"]).all()


def test_the_current_gdp_release_is_the_one_in_economy_and_the_revision_is_upward():
    gdp, economy = load("gdp"), load("economy").set_index("year")
    current = gdp[gdp["vintage"] == analysis.CURRENT_GDP_VINTAGE].set_index("year")
    years = current.index.intersection(economy.index)
    assert (current.loc[years, "gdp_current_usd"] == economy.loc[years, "gdp_current_usd"]).all()
    older = gdp[gdp["vintage"] == "wdi-2024-10"].set_index("year")["gdp_current_usd"]
    assert (older < current.loc[older.index, "gdp_current_usd"]).all()
    costs, operations = load("costs"), load("operations")
    share = analysis.cost_share_of_gdp_by_vintage(
        costs, operations, gdp, vintages=["wdi-2024-10", analysis.CURRENT_GDP_VINTAGE]
    ).pivot(index="year", columns="vintage", values="value")
    assert (share["wdi-2024-10"] > share[analysis.CURRENT_GDP_VINTAGE]).all()


def test_pledges_are_kept_apart_from_the_cost_series():
    costs, pledges = load("costs"), load("pledges")
    assert "pledge" not in set(costs["basis"].astype(str))
    assert {"afisma-2013-01-29-addis-ababa-total", "g5-2018-02-23-brussels-cumulative"} <= set(
        pledges["pledge_id"]
    )
