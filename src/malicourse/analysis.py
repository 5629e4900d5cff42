"""Pure analysis functions shared by the lessons, the explorers and the exercise sets.

Each takes DataFrames from :func:`malicourse.data.load` plus plain parameters and returns a
DataFrame. They never draw and never read files, so they are quick to test and to time.
Bad parameters raise :class:`CourseInputError`, whose message is a hint for a student.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd


class CourseInputError(ValueError):
    """A parameter a student chose cannot work; the message says what would."""


MEASURES = {
    "usd": "US dollars (nominal)",
    "share_of_gdp": "percent of Mali's GDP",
    "usd_per_person": "US dollars per inhabitant of Mali",
}

# Constant dollars need the deflator table, which the spending explorer does not pass yet, so the
# measure is kept apart from MEASURES (the explorer's menu); yearly_spending accepts both.
BASE_YEAR = 2024
REAL_MEASURES = {
    "constant_usd": f"US dollars of {BASE_YEAR} (deflated with the US consumer price index, CPI-U)",
}

# The World Bank release whose GDP figures economy.csv carries (see gdp.csv for older releases).
CURRENT_GDP_VINTAGE = "wdi-2026-07"


# --- checking what a student asked for ------------------------------------------------------


def check_choice(kind: str, chosen: Iterable[str], allowed: Iterable[str]) -> list[str]:
    """Return ``chosen`` as a list if every item is allowed; otherwise explain."""
    chosen, allowed = list(chosen), list(allowed)
    if not chosen:
        raise CourseInputError(f"choose at least one {kind}: {', '.join(allowed)}")
    unknown = [c for c in chosen if c not in allowed]
    if unknown:
        raise CourseInputError(
            f"unknown {kind} {', '.join(map(repr, unknown))}; choose from: {', '.join(allowed)}"
        )
    return chosen


def check_years(years: Sequence[int]) -> tuple[int, int]:
    try:
        first, last = (int(y) for y in years)
    except (TypeError, ValueError):
        raise CourseInputError(
            f"give the years as (first, last), e.g. (2013, 2022), not {years!r}"
        ) from None
    if first > last:
        raise CourseInputError(
            f"the year range is inverted ({first} > {last}): give the earlier year first"
        )
    return first, last


# --- lesson 01: who was present ---------------------------------------------------------------


def operations_present(operations: pd.DataFrame, personnel: pd.DataFrame, on) -> pd.DataFrame:
    """Operations under way on date ``on``, with the latest personnel count observed by then.

    Personnel counts are observations, not a continuous series: ``observed_on`` says how old
    the count is, and ``scope`` whether it covers Mali or the whole Sahel.
    """
    try:
        day = pd.Timestamp(on)
    except (TypeError, ValueError):
        raise CourseInputError(f"{on!r} is not a date; write it like '2016-06-30'") from None
    started = operations["start_date"] <= day
    not_ended = operations["end_date"].isna() | (operations["end_date"] >= day)
    present = operations.loc[
        started & not_ended,
        ["operation_id", "short_name", "name", "actor_type", "start_date", "end_date"],
    ]
    # On a tie of dates, prefer a Mali count to a Sahel-wide one, and deployed to authorised.
    seen = personnel[personnel["date"] <= day].assign(
        _mali=lambda f: f["scope"] == "Mali", _deployed=lambda f: f["measure"] == "deployed"
    )
    seen = seen.sort_values(["date", "_mali", "_deployed"], kind="stable")
    latest = seen.groupby("operation_id", observed=True).tail(1)
    latest = latest.rename(columns={"date": "observed_on"})[
        ["operation_id", "personnel", "low", "high", "measure", "scope", "observed_on"]
    ]
    return present.merge(latest, on="operation_id", how="left").sort_values(
        "start_date", ignore_index=True
    )


# --- lesson 02: what it cost ------------------------------------------------------------------


def annual_costs(costs: pd.DataFrame) -> pd.DataFrame:
    """Split each cost row of the yearly series across calendar years, in proportion to days.

    A UN budget for July 2016 to June 2017 puts 184/365 of its amount in 2016 and the rest in
    2017. Only rows marked ``in_series`` are used: the others are alternatives, components or
    cumulative totals that would count the same money twice.
    """
    series = costs[costs["in_series"]]
    years, days = _days_per_year(series["period_start"], series["period_end"])
    fraction = days / days.sum(axis=1, keepdims=True)
    row, column = np.nonzero(days)
    split = pd.DataFrame(
        {
            "operation_id": series["operation_id"].to_numpy()[row],
            "year": years[column],
            "scope": series["scope"].to_numpy()[row],
            "basis": series["basis"].to_numpy()[row],
            "days": days[row, column],
        }
    )
    for column_name in ("amount_usd", "low_usd", "high_usd"):
        split[column_name] = series[column_name].to_numpy()[row] * fraction[row, column]
    columns = [
        "operation_id",
        "year",
        "amount_usd",
        "low_usd",
        "high_usd",
        "days",
        "scope",
        "basis",
    ]
    return (
        split.groupby(["operation_id", "year", "scope", "basis"], as_index=False)
        .sum()[columns]
        .sort_values(["operation_id", "year"], ignore_index=True)
    )


def _days_per_year(starts: pd.Series, ends: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Calendar years spanned, and for each (start, end) pair the days falling in each year."""
    start = starts.to_numpy("datetime64[D]")
    end = ends.to_numpy("datetime64[D]")
    if start.size == 0:
        return np.array([], dtype=int), np.zeros((0, 0), dtype=int)
    first = start.min().astype("datetime64[Y]").astype(int) + 1970
    last = end.max().astype("datetime64[Y]").astype(int) + 1970
    years = np.arange(first, last + 1)
    january_first = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    next_january_first = (years - 1969).astype("datetime64[Y]").astype("datetime64[D]")
    overlap_start = np.maximum(start[:, None], january_first[None, :])
    overlap_end = np.minimum(end[:, None] + 1, next_january_first[None, :])
    days = (overlap_end - overlap_start).astype(int)
    return years, np.clip(days, 0, None)


def yearly_spending(
    costs: pd.DataFrame,
    operations: pd.DataFrame,
    economy: pd.DataFrame,
    *,
    actors: Iterable[str],
    years: Sequence[int] = (2013, 2022),
    measure: str = "usd",
    include_sahel_wide: bool = True,
    deflator: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Spending per actor type and year, with low and high bounds, in the chosen measure.

    One row per (year, actor_type): ``value``, ``low``, ``high`` and ``missing``, the
    operations of that actor under way that year for which part of the year has no cost
    figure (that part is not in the total, so the total is a floor). The measure
    ``constant_usd`` (dollars of ``BASE_YEAR``) needs the ``deflator`` table.
    """
    actors = check_choice("actor", actors, operations["actor_type"].cat.categories)
    first, last = check_years(years)
    check_choice("measure", [measure], {**MEASURES, **REAL_MEASURES})
    if measure == "constant_usd" and deflator is None:
        raise CourseInputError(
            "constant dollars need the price index: pass deflator=load('deflator')"
        )
    annual = annual_costs(costs)
    if not include_sahel_wide:
        annual = annual[annual["scope"] == "Mali"]
    annual = annual.merge(operations[["operation_id", "actor_type"]], on="operation_id")
    annual = annual[annual["actor_type"].isin(actors) & annual["year"].between(first, last)]
    totals = annual.groupby(["year", "actor_type"], observed=True)[
        ["amount_usd", "low_usd", "high_usd"]
    ].sum()

    grid = pd.MultiIndex.from_product(
        [range(first, last + 1), actors], names=["year", "actor_type"]
    )
    result = totals.reindex(grid).reset_index()
    result.columns = ["year", "actor_type", "value", "low", "high"]
    result["missing"] = _coverage_gaps(costs, operations, grid, include_sahel_wide)
    if measure == "constant_usd":
        return to_constant_usd(result, deflator)
    return _in_measure(result, economy, measure)


def _coverage_gaps(costs, operations, grid, include_sahel_wide) -> list[str]:
    """For each (year, actor) in the grid, the operations not costed on every day of that year."""
    years = (grid.levels[0].min(), grid.levels[0].max())
    coverage = cost_coverage(costs, operations, years=years, include_sahel_wide=include_sahel_wide)
    gaps = coverage[coverage["coverage"] < 0.95].merge(operations[["operation_id", "actor_type"]])
    uncovered = (100 * (1 - gaps["coverage"])).round().astype(int).astype(str)
    gaps["label"] = gaps["operation_id"] + " (" + uncovered + "% of its days)"
    by_cell = gaps.groupby(["year", "actor_type"], observed=True)["label"].agg(", ".join)
    return [by_cell.get(cell, "") for cell in grid]


def cost_coverage(
    costs: pd.DataFrame,
    operations: pd.DataFrame,
    *,
    years: Sequence[int] = (2012, 2025),
    include_sahel_wide: bool = True,
) -> pd.DataFrame:
    """For each operation and year it was under way, the share of its days a cost figure covers.

    1.0 means every day of the operation that year falls in a period of the yearly series;
    0.0 means no figure at all. Coverage is what makes a total a total rather than a floor.
    """
    first, last = check_years(years)
    annual = annual_costs(costs)
    if not include_sahel_wide:
        annual = annual[annual["scope"] == "Mali"]
    covered = annual.groupby(["operation_id", "year"])["days"].sum()
    ends = operations["end_date"].fillna(pd.Timestamp(last, 12, 31))
    op_years, active = _days_per_year(operations["start_date"], ends)
    row, column = np.nonzero(active)
    coverage = pd.DataFrame(
        {
            "operation_id": operations["operation_id"].to_numpy()[row],
            "year": op_years[column],
            "active_days": active[row, column],
        }
    )
    coverage = coverage[coverage["year"].between(first, last)]
    keys = pd.MultiIndex.from_frame(coverage[["operation_id", "year"]])
    coverage["covered_days"] = np.minimum(
        covered.reindex(keys, fill_value=0).to_numpy(), coverage["active_days"].to_numpy()
    )
    coverage["coverage"] = coverage["covered_days"] / coverage["active_days"]
    return coverage.reset_index(drop=True)


def cost_share_of_gdp(
    costs, operations, economy, *, years=(2013, 2022), actors=None, include_sahel_wide=True
) -> pd.DataFrame:
    """Total spending of the chosen actors per year as a percent of Mali's GDP (with bounds)."""
    actors = list(operations["actor_type"].cat.categories) if actors is None else actors
    per_actor = yearly_spending(
        costs,
        operations,
        economy,
        actors=actors,
        years=years,
        measure="usd",
        include_sahel_wide=include_sahel_wide,
    )
    total = per_actor.groupby("year")[["value", "low", "high"]].sum(min_count=1)
    return _in_measure(total.reset_index(), economy, "share_of_gdp")


def to_constant_usd(
    frame: pd.DataFrame,
    deflator: pd.DataFrame,
    *,
    columns: Sequence[str] = ("value", "low", "high"),
) -> pd.DataFrame:
    """Nominal dollars of each row's ``year`` in dollars of ``BASE_YEAR`` (US CPI-U).

    constant = nominal x 100 / price index of the year (``BASE_YEAR`` = 100). Where the
    index is uncertain (a month missing), ``low`` uses the highest index and ``high`` the
    lowest, so the bounds stay bounds. Years without an index give NaN, never a guess.
    """
    prices = deflator.set_index("year")
    base = float(prices.loc[BASE_YEAR, "cpi_u"])
    central = frame["year"].map(prices["cpi_u"].astype(float) / base * 100)
    highest = frame["year"].map(prices["cpi_u_high"].astype(float) / base * 100)
    lowest = frame["year"].map(prices["cpi_u_low"].astype(float) / base * 100)
    out = frame.copy()
    for column in columns:
        index = {"low": highest, "high": lowest}.get(column, central)
        out[column] = frame[column] * 100 / index.to_numpy()
    return out


def cost_share_of_gdp_by_vintage(
    costs: pd.DataFrame,
    operations: pd.DataFrame,
    gdp: pd.DataFrame,
    *,
    vintages: Iterable[str] | None = None,
    years: Sequence[int] = (2013, 2022),
    actors: Iterable[str] | None = None,
    include_sahel_wide: bool = True,
) -> pd.DataFrame:
    """Spending as a percent of Mali's GDP, measured against the chosen World Bank releases.

    ``gdp`` is the ``gdp`` table (one row per year and ``vintage``); by default only the
    current release (``CURRENT_GDP_VINTAGE``). One row per (year, vintage): ``value``,
    ``low`` and ``high``. A year a release does not cover gives NaN, not a share.
    """
    known = list(dict.fromkeys(gdp["vintage"].astype(str)))
    chosen = check_choice(
        "GDP release", [CURRENT_GDP_VINTAGE] if vintages is None else vintages, known
    )
    actors = list(operations["actor_type"].cat.categories) if actors is None else actors
    per_actor = yearly_spending(
        costs,
        operations,
        gdp,
        actors=actors,
        years=years,
        measure="usd",
        include_sahel_wide=include_sahel_wide,
    )
    total = per_actor.groupby("year")[["value", "low", "high"]].sum(min_count=1).reset_index()
    frames = []
    for vintage in chosen:
        release = gdp[gdp["vintage"].astype(str) == vintage].set_index("year")
        denominator = total["year"].map(release["gdp_current_usd"].astype(float))
        share = total.copy()
        for column in ("value", "low", "high"):
            share[column] = total[column] / denominator * 100
        frames.append(share.assign(vintage=vintage))
    columns = ["year", "vintage", "value", "low", "high"]
    return pd.concat(frames, ignore_index=True)[columns]


def _in_measure(frame: pd.DataFrame, economy: pd.DataFrame, measure: str) -> pd.DataFrame:
    if measure == "usd":
        return frame
    column = {"share_of_gdp": "gdp_current_usd", "usd_per_person": "population"}[measure]
    scale = 100 if measure == "share_of_gdp" else 1
    denominator = frame["year"].map(economy.set_index("year")[column].astype(float))
    out = frame.copy()
    for col in ("value", "low", "high"):
        out[col] = out[col] / denominator * scale
    return out


# --- lesson 03: coups -------------------------------------------------------------------------


def coup_timeline(
    coups: pd.DataFrame,
    countries: pd.DataFrame,
    *,
    country_codes: Iterable[str],
    years: Sequence[int] = (1960, 2025),
    include_failed: bool = True,
) -> pd.DataFrame:
    """The coups of the chosen countries in the chosen years, with country names, oldest first."""
    codes = check_choice("country", country_codes, countries["country_iso3"])
    first, last = check_years(years)
    chosen = coups[coups["country_iso3"].isin(codes) & coups["date"].dt.year.between(first, last)]
    if not include_failed:
        chosen = chosen[chosen["outcome"] == "successful"]
    named = chosen.merge(countries[["country_iso3", "name", "region"]], on="country_iso3")
    return named.sort_values("date", ignore_index=True)


def intervals_between_coups(coups: pd.DataFrame, *, successful_only: bool = True) -> pd.DataFrame:
    """For each coup, the time since the previous one in the same country (NaN for the first)."""
    chosen = coups[coups["outcome"] == "successful"] if successful_only else coups
    ordered = chosen.sort_values(["country_iso3", "date"]).copy()
    ordered["previous"] = ordered.groupby("country_iso3")["date"].shift()
    ordered["years_since_previous"] = (ordered["date"] - ordered["previous"]).dt.days / 365.25
    return ordered[
        ["country_iso3", "date", "previous", "years_since_previous", "outcome"]
    ].reset_index(drop=True)


def coups_per_year(coups: pd.DataFrame, *, years: Sequence[int] = (1960, 2025)) -> pd.DataFrame:
    """Successful and failed coups per year in the record (zero-filled)."""
    first, last = check_years(years)
    counts = (
        coups.assign(year=coups["date"].dt.year)
        .pivot_table(
            index="year", columns="outcome", values="date", aggfunc="count", observed=False
        )
        .reindex(range(first, last + 1), fill_value=0)
        .fillna(0)
        .astype(int)
    )
    counts.columns = counts.columns.astype(str)
    return counts.rename_axis(columns=None).reset_index()


# --- lesson 04: before and after --------------------------------------------------------------


def events_around(
    events: pd.DataFrame,
    event_id: str,
    *,
    before: int = 3,
    after: int = 3,
    categories: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The chosen event with the ``before`` events preceding it and the ``after`` following it.

    ``position`` is negative before, 0 for the chosen event, positive after; ``days_from``
    is the gap in days. ``categories`` restricts the neighbours (not the chosen event).
    """
    if event_id not in set(events["event_id"]):
        raise CourseInputError(
            f"no event {event_id!r}; pick one from the events table's event_id column"
        )
    if before < 0 or after < 0:
        raise CourseInputError("before and after count events, so they cannot be negative")
    ordered = events.sort_values(["date", "event_id"], ignore_index=True)
    anchor = ordered.index[ordered["event_id"] == event_id][0]
    if categories is not None:
        wanted = check_choice("category", categories, events["category"].cat.categories)
        keep = ordered["category"].isin(wanted) | (ordered.index == anchor)
        ordered = ordered[keep].reset_index(drop=True)
        anchor = ordered.index[ordered["event_id"] == event_id][0]
    window = ordered.iloc[max(anchor - before, 0) : anchor + after + 1].copy()
    window.insert(0, "position", window.index - anchor)
    window["days_from"] = (window["date"] - ordered.loc[anchor, "date"]).dt.days
    return window.reset_index(drop=True)


def exits_and_arrivals(
    events: pd.DataFrame, *, years: Sequence[int] = (2020, 2025)
) -> pd.DataFrame:
    """Withdrawals, interventions and agreements in the chosen years, in order: the realignment."""
    first, last = check_years(years)
    kinds = ["withdrawal", "intervention", "agreement"]
    chosen = events[events["category"].isin(kinds) & events["date"].dt.year.between(first, last)]
    return chosen.sort_values("date", ignore_index=True)


# --- lesson 05: the argument ------------------------------------------------------------------


def claim_with_evidence(claims: pd.DataFrame, sources: pd.DataFrame, claim_id: str) -> dict:
    """One claim, its verdict and reasoning, and the documents cited for it."""
    match = claims[claims["claim_id"] == claim_id]
    if match.empty:
        raise CourseInputError(
            f"no claim {claim_id!r}; claims run from c01 to {claims['claim_id'].max()}"
        )
    claim = match.iloc[0]
    ids = claim["source_ids"].split(";")
    cited = sources.set_index("source_id").loc[
        ids, ["title", "author_or_publisher", "published", "url", "kind"]
    ]
    return {"claim": claim, "sources": cited.reset_index()}


def verdict_table(claims: pd.DataFrame) -> pd.DataFrame:
    """How many claims of each type got each verdict."""
    return pd.crosstab(claims["claim_type"], claims["verdict"], margins=True, margins_name="total")
