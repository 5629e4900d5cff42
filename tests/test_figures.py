"""Charts carry a description and a source line, and render to PNG with alt text."""

import re

import pandas as pd
import pytest
from matplotlib.text import Text

from malicourse import analysis, figures
from malicourse.data import load


def test_every_lesson_figure_has_title_labels_description_and_sources():
    t = {
        name: load(name)
        for name in (
            "operations",
            "personnel",
            "costs",
            "economy",
            "coups",
            "countries",
            "events",
            "claims",
            "sources",
        )
    }
    present = analysis.operations_present(t["operations"], t["personnel"], "2019-01-01")
    spending = analysis.yearly_spending(
        t["costs"], t["operations"], t["economy"], actors=["UN", "EU"]
    )
    timeline = analysis.coup_timeline(t["coups"], t["countries"], country_codes=["MLI", "NER"])
    window = analysis.events_around(t["events"], t["events"]["event_id"].iloc[20])
    charts = [
        figures.operations_timeline(t["operations"], t["sources"], on="2019-01-01"),
        figures.personnel_present(present, t["sources"], t["personnel"], "2019-01-01"),
        figures.spending_over_time(spending, t["sources"], t["costs"], "usd"),
        figures.coup_strip(timeline, t["sources"]),
        figures.coups_per_year_bars(analysis.coups_per_year(t["coups"]), t["coups"], t["sources"]),
        figures.events_window(window, t["sources"]),
        figures.verdicts_by_type(analysis.verdict_table(t["claims"]), t["claims"], t["sources"]),
    ]
    for chart in charts:
        ax = chart.figure.axes[0]
        assert ax.get_title(), chart.description
        assert ax.get_xlabel(), ax.get_title()
        assert chart.description.endswith(".") and len(chart.description) > 20
        assert chart.sources.startswith("Source: ") and "data/sources.csv" in chart.sources


def test_chart_renders_svg_with_alt_text_and_caption():
    t = {name: load(name) for name in ("operations", "sources")}
    chart = figures.operations_timeline(t["operations"], t["sources"])
    bundle = chart._repr_mimebundle_()
    assert bundle["text/html"].startswith(
        '<figure style="margin:0"><img src="data:image/svg+xml;base64,'
    )
    assert f'alt="{chart.description}"' in bundle["text/html"]
    assert chart.sources in bundle["text/plain"]
    assert "<svg" in chart.svg() and "Who intervened in Mali" in chart.svg()


SOURCES = pd.DataFrame(
    {
        "source_id": ["rate", "budget", "press", "blog", "other"],
        "author_or_publisher": ["Federal Reserve", "UN General Assembly", "AFP", "A blog", "X"],
        "title": ["Exchange rates", "MINUSMA budget", "Costs", "Opinion", "Y"],
        "published": ["2016-01", "2019", "", "2020-05-01", ""],
    }
)


def test_source_line_names_the_documents_behind_the_values_first():
    ids = pd.Series(["rate;budget", "rate;press", "rate;blog", "other"])
    amounts = [900.0, 50.0, 40.0, 10.0]
    line = figures.source_line(ids, SOURCES, "costs", weights=amounts, context_ids={"rate"})
    named = line.removeprefix("Source: ").split("; ")
    assert named[0] == "UN General Assembly, “MINUSMA budget”, 2019"
    assert named[1:3] == ["AFP, “Costs”", "A blog, “Opinion”, 2020"]
    assert "Federal Reserve" not in line  # cited most often, but only to convert currencies
    assert line.endswith("and 2 more: see data/sources.csv (all 5 are cited in data/costs.csv).")


def test_source_line_without_weights_ranks_by_rows_and_lists_few_documents_whole():
    ids = pd.Series(["press", "budget;press", None, ""])
    line = figures.source_line(ids, SOURCES, "events")
    assert line == (
        "Source: AFP, “Costs”; UN General Assembly, “MINUSMA budget”, 2019 "
        "(see data/events.csv and data/sources.csv)."
    )
    assert figures.source_line(pd.Series([], dtype=str), SOURCES, "events").startswith(
        "Source: no rows shown"
    )


def test_spending_caption_puts_exchange_rate_documents_after_the_amounts():
    t = tables("costs", "operations", "economy", "sources", "exchange_rates")
    rate_ids = {sid for cell in t["exchange_rates"]["source_ids"] for sid in cell.split(";")}
    rate_publishers = set(
        t["sources"].set_index("source_id").loc[list(rate_ids)]["author_or_publisher"]
    )
    spending = analysis.yearly_spending(
        t["costs"], t["operations"], t["economy"], actors=["UN", "France", "EU"]
    )
    given = {"operations": t["operations"], "rates": t["exchange_rates"]}
    for tables_given in (given, {}):  # a lesson may leave them out: the course's are used
        chart = figures.spending_over_time(
            spending, t["sources"], t["costs"], "usd", **tables_given
        )
        named = chart.sources.removeprefix("Source: ").split(" more: ")[0]
        assert not any(publisher in named for publisher in rate_publishers), chart.sources
        assert "more: see data/sources.csv" in chart.sources


def test_spending_caption_says_which_amounts_are_not_like_with_like():
    t = tables("costs", "operations", "economy", "sources")
    mixed = analysis.yearly_spending(
        t["costs"], t["operations"], t["economy"], actors=["UN", "France"], years=(2013, 2023)
    )
    caption = figures.spending_over_time(mixed, t["sources"], t["costs"], "usd").description
    assert "Not like with like" in caption
    assert (
        "France: additional cost (" in caption and "UN: assessed budget (mission only) (" in caption
    )
    full = analysis.yearly_spending(
        t["costs"], t["operations"], t["economy"], actors=["US"], years=(2013, 2018)
    )
    caption = figures.spending_over_time(full, t["sources"], t["costs"], "usd").description
    assert "like with like" not in caption and "1 actor," in caption


def tables(*names):
    return {name: load(name) for name in names}


def text_outside(figure):
    """Every visible text of the figure that reaches beyond the figure's edges."""
    figure.draw_without_rendering()
    hidden = set()
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            ticks = axis.get_major_ticks() + axis.get_minor_ticks()
            drawn = set(axis._update_ticks())
            hidden |= {t.label1 for t in ticks if t not in drawn}
            hidden |= {t.label2 for t in ticks if t not in drawn}
    box = figure.bbox
    outside = []
    for text in figure.findobj(Text):
        if text in hidden or not text.get_visible() or not text.get_text().strip():
            continue
        extent = text.get_window_extent()
        if extent.x0 < 0 or extent.y0 < 0 or extent.x1 > box.width or extent.y1 > box.height:
            outside.append(text.get_text())
    return outside


def test_no_text_is_cut_off_at_the_figure_edges():
    t = tables(
        "operations", "personnel", "costs", "economy", "coups", "countries", "events", "claims",
        "sources", "exchange_rates",
    )  # fmt: skip
    charts = [figures.operations_timeline(t["operations"], t["sources"], on="2019-01-01")]
    for on in ("2012-03-01", "2013-03-01", "2016-06-01", "2024-06-01"):
        present = analysis.operations_present(t["operations"], t["personnel"], on)
        charts.append(figures.personnel_present(present, t["sources"], t["personnel"], on))
    for measure in analysis.MEASURES:
        for actors in (["UN"], figures.ACTORS):
            spending = analysis.yearly_spending(
                t["costs"], t["operations"], t["economy"], actors=actors, measure=measure
            )
            charts.append(figures.spending_over_time(spending, t["sources"], t["costs"], measure))
    every = list(t["countries"]["country_iso3"])
    charts.append(
        figures.coup_strip(
            analysis.coup_timeline(t["coups"], t["countries"], country_codes=every), t["sources"]
        )
    )
    counts = analysis.coups_per_year(t["coups"])
    charts.append(figures.coups_per_year_bars(counts, t["coups"], t["sources"]))
    events = t["events"].sort_values("date")["event_id"]
    for event_id in events.iloc[::9]:
        window = analysis.events_around(t["events"], event_id, before=4, after=4)
        charts.append(figures.events_window(window, t["sources"]))
    table = analysis.verdict_table(t["claims"])
    charts.append(figures.verdicts_by_type(table, t["claims"], t["sources"]))
    for chart in charts:
        assert text_outside(chart.figure) == [], chart.description


def test_a_long_title_or_label_is_wrapped_not_cut():
    assert figures.wrap("short", 300) == "short"
    long = "Intervention spending by actor, in US dollars per inhabitant of Mali, 2013-2022"
    wrapped = figures.wrap(long, 200, 12)
    assert wrapped.replace("\n", " ") == long and "\n" in wrapped
    assert all(figures.text_width_pt(line, 12) <= 200 for line in wrapped.splitlines())


def test_the_timeline_marker_is_drawn_where_matplotlib_draws_it():
    t = tables("operations", "sources")
    view = figures.TimelineView(t["operations"], t["sources"])
    for on in ("2012-01-01", "2016-06-01", "2025-12-01"):
        quick = view.at(on).svg()
        full = figures.render_svg(view.chart(on).figure)
        assert marker_x(quick) == pytest.approx(marker_x(full), abs=0.5)
        assert len(quick) == pytest.approx(len(full), rel=0.02)


def marker_x(svg: str) -> float:
    group = svg[svg.index('<g id="date-marker">') :]
    path = re.search(r'd="M ([0-9.]+) ', group)
    return float(path.group(1))


def test_a_view_keeps_what_each_of_its_charts_showed():
    t = tables("costs", "operations", "economy", "sources")
    view = figures.SpendingView(t["sources"], t["costs"])

    def spending(actors):
        return analysis.yearly_spending(t["costs"], t["operations"], t["economy"], actors=actors)

    first = view.update(spending(["UN"]), "usd", live=True)
    second = view.update(spending(["UN", "France"]), "usd", live=True)  # same figure
    assert len(first.figure.axes[0].get_lines()) == 2
    assert first.svg() != second.svg()
    first.restore()
    assert len(first.figure.axes[0].get_lines()) == 1
    assert first.svg() == figures.render_svg(first.figure)


def test_palette_is_okabe_ito_for_every_actor():
    assert set(figures.ACTOR_COLOURS.values()) <= set(figures.OKABE_ITO)
    assert len(set(figures.ACTOR_COLOURS.values())) == len(figures.ACTORS)
