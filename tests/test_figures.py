"""Charts carry a description and a source line, and render to PNG with alt text."""

import pandas as pd

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


def test_source_line_counts_publishers():
    sources = pd.DataFrame(
        {"source_id": ["a", "b", "c"], "author_or_publisher": ["UN", "UN", "AFP"]}
    )
    line = figures.source_line(pd.Series(["a;b", "c"]), sources, "costs")
    assert line == "Source: UN; AFP (3 documents; see data/costs.csv and data/sources.csv)."


def test_palette_is_okabe_ito_for_every_actor():
    assert set(figures.ACTOR_COLOURS.values()) <= set(figures.OKABE_ITO)
    assert len(set(figures.ACTOR_COLOURS.values())) == len(figures.ACTORS)
