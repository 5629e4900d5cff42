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


def what_amounts_cover(
    costs: pd.DataFrame,
    operations: pd.DataFrame,
    *,
    actors: Iterable[str] | None = None,
    years: Sequence[int] = (2012, 2025),
    include_sahel_wide: bool = True,
) -> pd.DataFrame:
    """What each actor's yearly-series amounts cover, and in which years: one row per kind.

    ``cost_coverage`` differs between actors (French additional costs, EU common costs only)
    and, for the UN, between budget years (the mission's own budget, or with prorated shares of
    support costs, or not stated). Amounts of different kinds are not like with like: a chart
    that draws them as one line owes its reader this table (data/README.md, *Like with like*).
    """
    first, last = check_years(years)
    series = costs[costs["in_series"]]
    if not include_sahel_wide:
        series = series[series["scope"] == "Mali"]
    op_years, days = _days_per_year(series["period_start"], series["period_end"])
    row, column = np.nonzero(days)
    touched = pd.DataFrame(
        {
            "operation_id": series["operation_id"].to_numpy()[row],
            "cost_coverage": series["cost_coverage"].astype(str).to_numpy()[row],
            "year": op_years[column],
        }
    )
    touched = touched[touched["year"].between(first, last)].merge(
        operations[["operation_id", "actor_type"]].astype({"actor_type": str})
    )
    if actors is not None:
        touched = touched[touched["actor_type"].isin(list(actors))]
    kinds = touched.groupby(["actor_type", "cost_coverage"])["year"].agg(_year_ranges)
    return kinds.rename("years").reset_index()


def _year_ranges(years: Iterable[int]) -> str:
    """2013, 2015, 2016, 2017 -> "2013, 2015-2017"."""
    runs: list[list[int]] = []
    for year in sorted(set(years)):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


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


# --- lesson 06: the human cost ----------------------------------------------------------------

# The category of each fatality measure that counts everyone that measure counts (its total).
# Human Rights Watch has no such row: its counts are per perpetrator, so a category is required.
FATALITY_TOTALS = {
    "battle-related deaths (UCDP)": "state-based conflict",
    "reported fatalities (ACLED)": "all event types",
    "civilians killed (UN human-rights reports)": "all perpetrators",
}

# One yearly series per indicator. They are shown side by side, never added: each counts a
# different thing, in its own unit, by its own method.
HUMAN_COST_INDICATORS = {
    "spending_usd": "Intervention spending: UN, France, EU, regional forces, US (nominal US$)",
    "battle_deaths_ucdp": "Battle-related deaths (UCDP), people killed",
    "fatalities_acled": "Reported fatalities (ACLED), people killed",
    "civilians_killed_un": "Civilians killed, UN human-rights reports (documented cases)",
    "idps": "Internally displaced people, latest count of the year",
    "refugees": "Refugees from Mali, latest count of the year",
    "appeal_requirements_usd": "Humanitarian appeal, latest stated requirement (nominal US$)",
    "appeal_coverage_pct": "Humanitarian appeal, share funded at year end (percent)",
}
_INDICATOR_FATALITIES = {
    "battle_deaths_ucdp": "battle-related deaths (UCDP)",
    "fatalities_acled": "reported fatalities (ACLED)",
    "civilians_killed_un": "civilians killed (UN human-rights reports)",
}
_INTERNATIONAL = ("UN", "France", "EU", "regional", "US")


def _year_days(year: int) -> int:
    return 366 if pd.Timestamp(year, 1, 1).is_leap_year else 365


def yearly_fatalities(
    fatalities: pd.DataFrame,
    *,
    measure: str,
    years: Sequence[int] = (2012, 2025),
    category: str | None = None,
) -> pd.DataFrame:
    """People killed per calendar year by ONE measure and one category, with its coverage.

    One row per year in range: ``value``, ``low``, ``high`` (NaN where the measure has no row
    that year), ``days_covered`` (days of the year the rows used cover), ``floor`` (True where
    part of the year is not covered or a source says "at least") and ``periods``, the periods
    used. A row for the whole calendar year is used when there is one; otherwise rows inside
    the year that do not overlap, longest first, are added (a half-year, not the quarters in
    it). Measures are never mixed: each counts a different thing (see data/README.md).
    """
    measure = check_choice("measure", [measure], fatalities["measure"].cat.categories)[0]
    first, last = check_years(years)
    rows = fatalities[fatalities["measure"] == measure]
    if category is None:
        if measure not in FATALITY_TOTALS:
            raise CourseInputError(
                f"{measure!r} has no total row: choose a category, one of: "
                f"{', '.join(map(str, rows['category'].unique()))}"
            )
        category = FATALITY_TOTALS[measure]
    category = check_choice("category", [category], rows["category"].astype(str).unique())[0]
    rows = rows[rows["category"] == category]
    same_year = rows["period_start"].dt.year == rows["period_end"].dt.year
    rows = rows[same_year].assign(
        year=lambda f: f["period_start"].dt.year,
        days=lambda f: (f["period_end"] - f["period_start"]).dt.days + 1,
    )
    records = []
    for year in range(first, last + 1):
        chosen = _non_overlapping(rows[rows["year"] == year])
        in_year = _year_days(year)
        covered = int(chosen["days"].sum())
        at_least = bool((chosen["qualifier"] == "at least").any())
        records.append(
            {
                "year": year,
                "measure": measure,
                "category": category,
                "value": float(chosen["value"].sum()) if len(chosen) else np.nan,
                "low": float(chosen["low"].sum()) if len(chosen) else np.nan,
                "high": float(chosen["high"].sum()) if len(chosen) else np.nan,
                "days_covered": covered,
                "floor": bool(len(chosen)) and (covered < in_year or at_least),
                "periods": ", ".join(
                    f"{r.period_start:%Y-%m-%d} to {r.period_end:%Y-%m-%d}"
                    for r in chosen.itertuples()
                ),
                "source_ids": ";".join(dict.fromkeys(";".join(chosen["source_ids"]).split(";")))
                if len(chosen)
                else "",
            }
        )
    return pd.DataFrame(records)


def _non_overlapping(rows: pd.DataFrame) -> pd.DataFrame:
    """The longest rows first, skipping any that overlaps a row already taken; by date."""
    taken: list = []
    for index, row in rows.sort_values(
        ["days", "period_start"], ascending=[False, True]
    ).iterrows():
        if all(
            row.period_end < rows.at[t, "period_start"]
            or row.period_start > rows.at[t, "period_end"]
            for t in taken
        ):
            taken.append(index)
    return rows.loc[taken].sort_values("period_start")


def displacement_by_year(
    displacement: pd.DataFrame,
    *,
    population: str = "internally displaced people",
    years: Sequence[int] = (2012, 2025),
    how: str = "latest",
) -> pd.DataFrame:
    """One count of displaced people per year: the year's latest (``how="latest"``) or highest.

    Counts are stocks at a date, not flows, and come from different counting systems: the
    ``reference_date`` and ``reporting_system`` of the count used are kept. Years without a
    count give NaN.
    """
    population = check_choice(
        "population", [population], displacement["population"].cat.categories
    )[0]
    how = check_choice("way to pick a count", [how], ["latest", "highest"])[0]
    first, last = check_years(years)
    rows = displacement[displacement["population"] == population].assign(
        year=lambda f: f["reference_date"].dt.year
    )
    rows = rows[rows["year"].between(first, last)]
    order = ["reference_date"] if how == "latest" else ["value", "reference_date"]
    picked = rows.sort_values(order).groupby("year").tail(1).set_index("year")
    columns = ["reference_date", "value", "low", "high", "qualifier", "reporting_system"]
    result = picked.reindex(range(first, last + 1))[[*columns, "source_ids"]]
    for column in ("value", "low", "high"):
        result[column] = result[column].astype("float64")
    return result.rename_axis("year").reset_index().assign(population=population)


def appeal_by_year(funding: pd.DataFrame, *, years: Sequence[int] = (2012, 2025)) -> pd.DataFrame:
    """Per year, the latest stated requirement of the OCHA appeal and the latest stated share
    funded, each with the stage and date it was stated at (they may differ). Nothing is derived:
    a value no source states stays NaN."""
    first, last = check_years(years)
    rows = funding[funding["year"].between(first, last)].sort_values("as_of")
    out = pd.DataFrame({"year": range(first, last + 1)})
    for column, label in (("requirements_usd", "requirements"), ("coverage_pct", "coverage")):
        stated = rows.dropna(subset=[column]).groupby("year").tail(1).set_index("year")
        out[column] = out["year"].map(stated[column].astype(float))
        out[f"{label}_stage"] = out["year"].map(stated["stage"].astype(str))
        out[f"{label}_as_of"] = out["year"].map(stated["as_of"])
    ids = rows.groupby("year")["source_ids"].agg(
        lambda s: ";".join(dict.fromkeys(";".join(s).split(";")))
    )
    out["source_ids"] = out["year"].map(ids).fillna("")
    out["year"] = out["year"].astype("int64")
    return out


def human_cost_indicators(
    tables, *, indicators: Iterable[str], years: Sequence[int] = (2012, 2025)
) -> pd.DataFrame:
    """Yearly series of the chosen indicators (keys of ``HUMAN_COST_INDICATORS``), long format.

    ``tables`` maps table names to frames (``vars(data)`` in a lesson). One row per
    (indicator, year): ``value``, ``low``, ``high``, ``floor`` (part of the year or of the
    operations has no figure, or a source says "at least"), ``table`` and ``source_ids``.
    Each indicator is its own measure: the rows are meant to be read side by side, never added.
    """
    chosen = check_choice("indicator", indicators, HUMAN_COST_INDICATORS)
    first, last = check_years(years)
    frames = []
    for key in chosen:
        if key in _INDICATOR_FATALITIES:
            found = yearly_fatalities(
                tables["fatalities"], measure=_INDICATOR_FATALITIES[key], years=(first, last)
            )
            frame = found.assign(table="fatalities")
        elif key in ("idps", "refugees"):
            population = "internally displaced people" if key == "idps" else "refugees from Mali"
            found = displacement_by_year(
                tables["displacement"], population=population, years=(first, last)
            )
            frame = found.assign(floor=found["qualifier"] == "at least", table="displacement")
        elif key.startswith("appeal_"):
            found = appeal_by_year(tables["humanitarian_funding"], years=(first, last))
            if key == "appeal_requirements_usd":
                value = found["requirements_usd"]
            else:  # only a year-end share: an interim share is not comparable across years
                value = found["coverage_pct"].where(found["coverage_stage"] == "year-end")
            frame = found.assign(
                value=value, low=value, high=value, floor=False, table="humanitarian_funding"
            )
        else:
            frame = _spending_indicator(tables, first, last)
        frames.append(frame.assign(indicator=key, unit=HUMAN_COST_INDICATORS[key]))
    columns = ["indicator", "year", "value", "low", "high", "floor", "unit", "table", "source_ids"]
    result = pd.concat(frames, ignore_index=True)[columns]
    result["floor"] = result["floor"].fillna(False).astype(bool)
    result["source_ids"] = result["source_ids"].fillna("").astype(str)
    return result


def _spending_indicator(tables, first: int, last: int) -> pd.DataFrame:
    costs, operations = tables["costs"], tables["operations"]
    spending = yearly_spending(
        costs, operations, tables["economy"], actors=_INTERNATIONAL, years=(first, last)
    )
    per_year = spending.groupby("year")[["value", "low", "high"]].sum(min_count=1)
    per_year["floor"] = spending.groupby("year")["missing"].agg(lambda m: bool((m != "").any()))
    ops = operations.loc[operations["actor_type"].isin(_INTERNATIONAL), "operation_id"]
    rows = costs[costs["in_series"] & costs["operation_id"].isin(ops)]
    per_year["source_ids"] = [
        ";".join(
            dict.fromkeys(
                ";".join(
                    rows.loc[
                        (rows["period_start"].dt.year <= year)
                        & (rows["period_end"].dt.year >= year),
                        "source_ids",
                    ]
                ).split(";")
            )
        ).strip(";")
        for year in per_year.index
    ]
    # exchange-rate documents only convert amounts; they are cited with the rates, not here
    rates = tables.get("exchange_rates")
    if rates is not None:
        converting = {s for cell in rates["source_ids"].dropna() for s in cell.split(";")}
        per_year["source_ids"] = [
            ";".join(s for s in cell.split(";") if s not in converting)
            for cell in per_year["source_ids"]
        ]
    return per_year.reset_index().assign(table="costs")


def compare_periods(
    indicators: pd.DataFrame,
    *,
    indicator: str,
    before: Sequence[int] = (2013, 2021),
    after: Sequence[int] = (2022, 2025),
) -> pd.DataFrame:
    """One indicator's yearly values in two periods, side by side: how many years have a
    figure, how many of those are floors, and the lowest, mean and highest yearly value.

    The mean is over the years that have a figure, so read it with ``years_with_figure``: a
    period whose later years have no figure (a reporting system that stopped) is not compared
    like with like.
    """
    known = list(dict.fromkeys(indicators["indicator"]))
    indicator = check_choice("indicator", [indicator], known)[0]
    periods = {"before": check_years(before), "after": check_years(after)}
    if periods["before"][1] >= periods["after"][0]:
        raise CourseInputError(
            f"the periods overlap: 'before' ends in {periods['before'][1]} and 'after' starts "
            f"in {periods['after'][0]}; a year can only be in one of them"
        )
    rows = indicators[indicators["indicator"] == indicator]
    records = []
    for label, (first, last) in periods.items():
        inside = rows[rows["year"].between(first, last)]
        shown = inside.dropna(subset=["value"])
        records.append(
            {
                "period": label,
                "first_year": first,
                "last_year": last,
                "years": last - first + 1,
                "years_with_figure": len(shown),
                "years_floor": int(shown["floor"].sum()),
                "lowest": shown["value"].min(),
                "mean": shown["value"].mean(),
                "highest": shown["value"].max(),
                "years_listed": ", ".join(str(y) for y in shown["year"]),
            }
        )
    return pd.DataFrame(records)
