"""The data package: valid, typed, internally consistent, and loud when broken."""

import csv
from datetime import date

import pandas as pd
import pytest
from conftest import DATA, broken_message, edit, write

from malicourse import data
from malicourse.data import DataError, load, period_usd_rate, table_names, validate


def test_the_shipped_package_is_valid():
    validate(DATA)


def test_every_table_loads_typed():
    for name in table_names(DATA):
        frame = load(name, DATA)
        assert len(frame) > 0, f"{name} is empty"
    costs = load("costs", DATA)
    assert pd.api.types.is_datetime64_any_dtype(costs["period_start"])
    assert isinstance(costs["basis"].dtype, pd.CategoricalDtype)
    assert set(costs["basis"].cat.categories) == {
        "approved budget",
        "expenditure",
        "estimate",
    }  # pledges live in pledges.csv (issue 13)
    assert load("economy", DATA)["year"].dtype == "Int64"


def test_load_returns_a_copy_the_caller_may_change():
    events = load("events", DATA)
    events.loc[0, "title"] = "changed by a caller"
    assert load("events", DATA).loc[0, "title"] != "changed by a caller"


def test_an_unknown_table_lists_the_real_ones():
    with pytest.raises(DataError, match=r"no table called 'cost'.*costs"):
        load("cost", DATA)


# --- consistency the course relies on -------------------------------------------------


def test_amounts_lie_within_their_bounds():
    costs = load("costs", DATA)
    assert (costs["low_usd"] <= costs["amount_usd"]).all()
    assert (costs["amount_usd"] <= costs["high_usd"]).all()
    assert (costs[["amount_usd", "low_usd", "high_usd"]] >= 0).all().all()


def test_non_usd_amounts_are_converted_with_the_rate_table():
    costs = load("costs", DATA)
    rates = load("exchange_rates", DATA)
    converted = costs[costs["original_currency"] != "USD"]
    assert len(converted) > 0
    for row in converted.itertuples():
        rate = period_usd_rate(rates, row.original_currency, row.period_start, row.period_end)
        assert row.amount_usd == pytest.approx(row.original_amount * rate, abs=1), row


def test_periods_and_operations_end_after_they_start():
    costs = load("costs", DATA)
    assert (costs["period_end"] >= costs["period_start"]).all()
    operations = load("operations", DATA).dropna(subset=["end_date"])
    assert (operations["end_date"] >= operations["start_date"]).all()


def test_coups_happen_after_independence():
    coups = load("coups", DATA).merge(load("countries", DATA), on="country_iso3", validate="m:1")
    early = coups[coups["date"] <= coups["independence_date"]]
    assert early.empty, early[["country_iso3", "date", "independence_date"]]


def test_events_are_in_chronological_order_within_the_course_period():
    events = load("events", DATA)
    assert events["date"].is_monotonic_increasing
    assert events["date"].min() >= pd.Timestamp("2012-01-01")
    assert events["date"].max() <= pd.Timestamp("2025-12-31")
    assert len(events) >= 60


@pytest.mark.parametrize("table", ["events", "coups"])
def test_every_date_is_stated_by_enough_independent_sources(table):
    """A day needs two sources from different publishers that state it; a month needs one."""
    publisher = load("sources", DATA).set_index("source_id")["author_or_publisher"]
    frame = load(table, DATA)
    precision = (
        frame["date_precision"] if "date_precision" in frame else pd.Series("day", frame.index)
    )
    short = []
    for row, (cited, exact) in enumerate(
        zip(frame["date_source_ids"], precision, strict=True), start=2
    ):
        cited = cited.split(";") if isinstance(cited, str) else []
        if len({publisher[sid] for sid in cited}) < (2 if exact == "day" else 1):
            short.append(f"{table}.csv row {row}: {len(cited)} source(s) state the date")
    assert not short, "\n".join(short)


def test_required_operations_and_coups_are_present():
    operations = set(load("operations", DATA)["operation_id"])
    assert {
        "afisma",
        "serval",
        "minusma",
        "eutm-mali",
        "eucap-sahel-mali",
        "barkhane",
        "g5-sahel-joint-force",
        "takuba",
        "us-security-assistance",
        "wagner-group",
        "africa-corps",
    } <= operations
    coups = load("coups", DATA)
    years = set(zip(coups["country_iso3"], coups["date"].dt.year, strict=True))
    for required in [
        ("MLI", 1968),
        ("MLI", 1991),
        ("MLI", 2012),
        ("MLI", 2020),
        ("MLI", 2021),
        ("BFA", 2022),
        ("NER", 2023),
        ("GIN", 2021),
        ("TCD", 2021),
        ("GAB", 2023),
    ]:
        assert required in years, required
    assert ((coups["country_iso3"] == "BFA") & (coups["date"].dt.year == 2022)).sum() == 2


def test_claims_point_to_existing_tables_and_quote_at_most_25_words():
    claims = load("claims", DATA)
    tables = set(table_names(DATA))
    for row in claims.itertuples():
        assert set(row.evidence_tables.split(";")) <= tables, row.claim_id
        assert len(row.quote.split()) <= 25, row.claim_id


def test_every_cited_source_resolves():
    known = set(load("sources", DATA)["source_id"])
    for name in table_names(DATA):
        frame = load(name, DATA)
        if "source_ids" in frame:
            cited = {sid for cell in frame["source_ids"] for sid in cell.split(";")}
            assert cited <= known, (name, cited - known)


def test_sources_for_resolves_a_cell_and_a_column():
    costs = load("costs", DATA)
    first = data.sources_for(costs["source_ids"].iloc[0], DATA)
    assert list(first["source_id"]) == costs["source_ids"].iloc[0].split(";")
    assert len(data.sources_for(costs["source_ids"], DATA)) >= len(first)


def test_period_rate_weights_days_in_each_year():
    rates = pd.DataFrame(
        {"year": [2020, 2021], "currency": ["EUR", "EUR"], "usd_per_unit": [1.0, 2.0]}
    )
    # 1 July 2020 - 30 June 2021: 184 days at 1.0, 181 days at 2.0
    rate = period_usd_rate(rates, "EUR", date(2020, 7, 1), date(2021, 6, 30))
    assert rate == pytest.approx((184 * 1.0 + 181 * 2.0) / 365)
    with pytest.raises(DataError, match="no EUR rate for 2019"):
        period_usd_rate(rates, "EUR", date(2019, 12, 1), date(2020, 1, 31))


# --- corruption: each breakage is named by file, row and column ------------------------


def test_a_bad_date_is_named(broken):
    edit(broken, "events", 4, "date", "2013-02-30")
    message = broken_message(broken)
    assert (
        "events.csv, row 6, column date: expected a date like 2013-01-11, found '2013-02-30'"
        in message
    )


def test_an_unknown_source_is_named(broken):
    edit(broken, "costs", 0, "source_ids", "no-such-document")
    message = broken_message(broken)
    assert "costs.csv, row 2, column source_ids: unknown source 'no-such-document'" in message


def test_a_date_source_the_event_does_not_cite_is_named(broken):
    cited = load("events", broken)["source_ids"].iloc[3].split(";")
    uncited = next(sid for sid in load("sources", broken)["source_id"] if sid not in cited)
    edit(broken, "events", 3, "date_source_ids", uncited)
    message = broken_message(broken)
    assert "events.csv, row 5, column date_source_ids:" in message
    assert "must also be in source_ids" in message


def test_a_negative_amount_is_named(broken):
    edit(broken, "costs", 2, "amount_usd", "-5")
    message = broken_message(broken)
    assert "costs.csv, row 4, column amount_usd" in message and "minimum" in message


def test_an_unknown_operation_is_named(broken):
    edit(broken, "costs", 1, "operation_id", "operation-atlantis")
    message = broken_message(broken)
    assert (
        "costs.csv, row 3, column operation_id: 'operation-atlantis' is not in operations.csv"
        in message
    )


def test_an_inverted_bound_is_named(broken):
    edit(broken, "costs", 0, "low_usd", "1e15")
    message = broken_message(broken)
    assert "costs.csv, row 2, columns amount_usd, low_usd, high_usd: expected" in message


def test_a_missing_column_is_named(broken):
    path = broken / "costs.csv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    write(path, rows, [c for c in rows[0] if c != "basis"])
    assert "costs.csv: the column 'basis' is missing" in broken_message(broken)


def test_an_unrecorded_edit_fails_the_checksum(broken):
    path = broken / "economy.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ",0", 1).replace("0year", "year"))
    assert "malicourse data checksums" in broken_message(broken)


def test_a_change_on_disk_is_seen_by_the_next_load(broken):
    before = load("events", broken)
    edit(broken, "events", 0, "title", "A changed title")
    assert load("events", broken)["title"].iloc[0] == "A changed title" != before["title"].iloc[0]
