"""The human-cost tables: fatalities, displacement, humanitarian funding.

Typed on load, bounds that hold, sources that resolve, and a broken value named by file,
row and column, like the rest of the data package (see test_data.py).
"""

import pandas as pd
import pytest
from conftest import DATA, broken_message, edit

from malicourse.data import load

TABLES = ["fatalities", "displacement", "humanitarian_funding"]


def is_categorical(series, categories=None):
    if not isinstance(series.dtype, pd.CategoricalDtype):
        return False
    return categories is None or set(categories) <= set(series.cat.categories)


# --- typed on load ----------------------------------------------------------------------


def test_fatalities_load_typed():
    fatalities = load("fatalities", DATA)
    assert len(fatalities) > 0
    for column in ["period_start", "period_end"]:
        assert pd.api.types.is_datetime64_any_dtype(fatalities[column]), column
    for column in ["value", "low", "high"]:
        assert fatalities[column].dtype == "Int64", column
    assert is_categorical(
        fatalities["measure"],
        [
            "battle-related deaths (UCDP)",
            "reported fatalities (ACLED)",
            "civilians killed (UN human-rights reports)",
        ],
    )
    assert is_categorical(fatalities["category"], ["all perpetrators", "state-based conflict"])
    assert is_categorical(fatalities["qualifier"], ["stated", "at least", "about"])
    assert fatalities[["measure", "category", "qualifier"]].notna().all().all()


def test_displacement_loads_typed():
    displacement = load("displacement", DATA)
    assert len(displacement) > 0
    assert pd.api.types.is_datetime64_any_dtype(displacement["reference_date"])
    for column in ["value", "low", "high"]:
        assert displacement[column].dtype == "Int64", column
    assert is_categorical(displacement["date_precision"], ["day", "month", "year"])
    assert set(displacement["population"].cat.categories) == {
        "internally displaced people",
        "refugees from Mali",
    }
    assert displacement["population"].notna().all()


def test_humanitarian_funding_loads_typed():
    funding = load("humanitarian_funding", DATA)
    assert len(funding) > 0
    assert funding["year"].dtype == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(funding["as_of"])
    for column in ["requirements_usd", "funding_usd", "coverage_pct"]:
        assert pd.api.types.is_float_dtype(funding[column]), column
    assert set(funding["stage"].cat.categories) == {"launch", "revision", "interim", "year-end"}
    assert is_categorical(funding["appeal"], ["Humanitarian Response Plan (HRP)"])


# --- bounds and consistency -------------------------------------------------------------


@pytest.mark.parametrize("name", ["fatalities", "displacement"])
def test_values_lie_within_their_bounds(name):
    frame = load(name, DATA)
    assert (frame["low"] <= frame["value"]).all()
    assert (frame["value"] <= frame["high"]).all()
    assert (frame[["value", "low", "high"]] >= 0).all().all()


def test_periods_end_after_they_start():
    fatalities = load("fatalities", DATA)
    assert (fatalities["period_end"] >= fatalities["period_start"]).all()


def test_funding_amounts_are_consistent():
    funding = load("humanitarian_funding", DATA)
    both = funding.dropna(subset=["funding_usd", "requirements_usd"])
    assert (both["funding_usd"] <= both["requirements_usd"]).all()
    assert funding["coverage_pct"].dropna().between(0, 100).all()
    stated = funding[["requirements_usd", "funding_usd", "coverage_pct"]].notna().any(axis=1)
    assert stated.all(), "every row states at least one amount or share"
    # a statement about a year's appeal is made in that year, the December before, or after it
    assert (funding["as_of"].dt.year >= funding["year"] - 1).all()


def test_un_quarters_of_2022_add_up_to_the_annual_total():
    """The central value for October-December 2022 was chosen so that this holds."""
    un = load("fatalities", DATA)
    un = un[
        (un["measure"] == "civilians killed (UN human-rights reports)")
        & (un["category"] == "all perpetrators")
        & (un["period_start"].dt.year == 2022)
    ]
    quarters = un[(un["period_end"] - un["period_start"]).dt.days < 100]
    annual = un[(un["period_start"] == "2022-01-01") & (un["period_end"] == "2022-12-31")]
    assert len(quarters) == 4 and len(annual) == 1
    assert quarters["value"].sum() == annual["value"].iloc[0]


def test_ucdp_series_has_one_row_per_year():
    ucdp = load("fatalities", DATA)
    ucdp = ucdp[ucdp["measure"] == "battle-related deaths (UCDP)"]
    # one row per year and category: state-based, non-state and one-sided are separate series
    assert not ucdp.duplicated(["period_start", "category"]).any()
    ucdp = ucdp[ucdp["category"] == "state-based conflict"]
    years = ucdp["period_start"].dt.year
    assert years.is_unique
    assert set(range(2012, 2021)) <= set(years)
    assert (ucdp["period_start"].dt.strftime("%m-%d") == "01-01").all()
    assert (ucdp["period_end"].dt.strftime("%m-%d") == "12-31").all()


def test_month_and_year_dates_are_first_days():
    displacement = load("displacement", DATA)
    coarse = displacement[displacement["date_precision"] != "day"]
    assert (coarse["reference_date"].dt.day == 1).all()
    yearly = displacement[displacement["date_precision"] == "year"]
    assert (yearly["reference_date"].dt.month == 1).all()
    funding = load("humanitarian_funding", DATA)
    assert (funding.loc[funding["as_of_precision"] != "day", "as_of"].dt.day == 1).all()


def test_every_cited_source_resolves():
    known = set(load("sources", DATA)["source_id"])
    for name in TABLES:
        frame = load(name, DATA)
        cited = {sid for cell in frame["source_ids"] for sid in cell.split(";")}
        assert cited <= known, (name, cited - known)
        assert frame["method_note"].str.len().min() > 20, name


# --- corruption: each breakage is named by file, row and column ------------------------


def test_a_value_above_its_high_bound_is_named(broken):
    edit(broken, "fatalities", 0, "value", "999999")
    message = broken_message(broken)
    assert "fatalities.csv, row 2, columns value, low, high: expected" in message


def test_a_bad_reference_date_is_named(broken):
    edit(broken, "displacement", 3, "reference_date", "2021-02-30")
    message = broken_message(broken)
    assert (
        "displacement.csv, row 5, column reference_date: "
        "expected a date like 2013-01-11, found '2021-02-30'" in message
    )


def test_a_negative_count_is_named(broken):
    edit(broken, "displacement", 0, "low", "-1")
    message = broken_message(broken)
    assert "displacement.csv, row 2, column low" in message and "minimum" in message


def test_an_unknown_measure_is_named(broken):
    edit(broken, "fatalities", 1, "measure", "deaths (my guess)")
    message = broken_message(broken)
    assert "fatalities.csv, row 3, column measure" in message


def test_an_unknown_source_is_named(broken):
    edit(broken, "humanitarian_funding", 0, "source_ids", "no-such-document")
    message = broken_message(broken)
    assert (
        "humanitarian_funding.csv, row 2, column source_ids: unknown source 'no-such-document'"
        in message
    )


def test_funding_above_requirements_is_named(broken):
    frame = load("humanitarian_funding", DATA)
    row = int(frame.dropna(subset=["funding_usd", "requirements_usd"]).index[0])
    edit(broken, "humanitarian_funding", row, "funding_usd", "1e12")
    message = broken_message(broken)
    assert (
        f"humanitarian_funding.csv, row {row + 2}, columns requirements_usd, funding_usd" in message
    )
