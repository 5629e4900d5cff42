"""The numbers lessons state in words are the ones their data gives today.

Prose cannot recompute itself: when a cost row, a deflator or a GDP release changes, a sentence
such as "$1.96–2.49 billion" silently goes stale. Each test here recomputes one sentence's numbers
with the calls the lesson's cells make and looks for them, formatted as the lesson prints them.
"""

import nbformat
import pandas as pd
import pytest
from conftest import ROOT

from malicourse import analysis
from malicourse.data import load

INTERNATIONAL = ["UN", "France", "EU", "regional", "US"]
WAR_YEARS = (2013, 2023)
PEAK = (2019, 2021)


@pytest.fixture(scope="module")
def prose() -> str:
    return lesson_prose("02_costs")


def lesson_prose(name: str) -> str:
    notebook = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


def yearly_total(measure: str, years=WAR_YEARS, *, sahel: bool = True) -> pd.Series:
    tables = (load("costs"), load("operations"), load("economy"))
    options = {"deflator": load("deflator")} if measure == "constant_usd" else {}
    spent = analysis.yearly_spending(
        *tables,
        actors=INTERNATIONAL,
        years=years,
        measure=measure,
        include_sahel_wide=sahel,
        **options,
    )
    return spent.groupby("year")["value"].sum()


def billions(values: pd.Series, decimals: int) -> str:
    low, high = values.min() / 1e9, values.max() / 1e9
    return f"${low:.{decimals}f}–{high:.{decimals}f}"


def in_words(sentence: str, prose: str) -> None:
    assert sentence in " ".join(prose.split()), f"the lesson should say: {sentence!r}"


def test_the_real_dollar_paragraph(prose):
    nominal, real = yearly_total("usd"), yearly_total("constant_usd")
    before, after = nominal[2013] / 1e9, real[2013] / 1e9
    in_words(f"2013 rises from about ${before:.1f} billion to ${after:.1f} billion", prose)
    peak_nominal, peak_real = nominal.loc[slice(*PEAK)], real.loc[slice(*PEAK)]
    in_words(f"from {billions(peak_nominal, 2)} billion to {billions(peak_real, 2)} billion", prose)
    largest = real.sort_values(ascending=False).index[:3]
    assert list(largest) == [2021, 2020, 2019], "the lesson names 2021, 2020 and 2019 as largest"
    assert real[2013] > max(real[2022], real[2023]), "the lesson says 2013 moves above 2022-2023"


def test_the_key_point_on_the_op_eds_two_numbers(prose):
    usd = yearly_total("usd", PEAK)
    share = yearly_total("share_of_gdp", PEAK)
    in_words(
        f"about {billions(usd, 1)} billion a year in 2019–2021, "
        f"{share.min():.1f}–{share.max():.1f} percent of GDP",
        prose,
    )


def test_what_the_two_numbers_fit_and_what_mali_only_leaves():
    gdp = load("economy").set_index("year").loc[PEAK[0] : PEAK[1], "gdp_current_usd"]
    assert (2e9 / gdp * 100 > 8).all(), "the lesson says $2 billion is over 8% of GDP each year"
    kept = yearly_total("usd", PEAK, sahel=False) / yearly_total("usd", PEAK)
    assert kept.between(0.35, 0.65).all(), f"the lesson says roughly half is left: {kept}"
    mali_only = yearly_total("share_of_gdp", PEAK, sahel=False)
    assert (mali_only < 6.5).all(), f"the lesson says well below 8 percent: {mali_only}"


def test_the_pledges_paragraph(prose):
    pledges = load("pledges")
    single = pledges[~pledges["aggregate"]].groupby("operation_id")["amount_usd"].sum() / 1e9
    in_words(f"Joint Force come to about ${single['g5-sahel-joint-force']:.2f} billion", prose)
    in_words(f"those to AFISMA to about ${single['afisma']:.2f} billion in 2013", prose)


def test_lesson_03_counts_malis_coups_as_the_table_does():
    coups = load("coups")
    mali = coups[coups["country_iso3"] == "MLI"]["outcome"].value_counts()
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
    failed = mali["failed"]
    in_words(
        f"{words[mali['successful']]} successful coups in Mali and {words[failed]} failed "
        + ("attempts" if failed > 1 else "attempt"),
        lesson_prose("03_coups"),
    )
