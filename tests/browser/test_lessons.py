"""Each lesson in JupyterLab: Run All Cells gives no error, and every explorer answers its controls.

A figure is an SVG in an <img> whose alt text describes what it shows, so a test can read the
figure's new state from its alt text and see that the picture itself (its src) changed.
"""

import re

import pytest
from conftest import ROOT

from .conftest import ARTIFACTS
from .lab import Notebook, expect, no_new_checkpoint

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.slow]


def figure(explorer):
    return explorer.locator(".widget-output img").first


def hint(explorer):
    """The explorer's own hint line (empty while the choice works)."""
    return explorer.locator(".widget-html-content").first


def plain(label: str) -> str:
    """An option's text as written in Python: ipywidgets shows spaces as no-break spaces."""
    return label.replace("\xa0", " ")


def changed_src(explorer, before: str) -> None:
    expect(figure(explorer)).not_to_have_attribute("src", before)


def presence(nb: Notebook) -> None:
    explorer = nb.cell_with_code("widgets.presence_explorer(")
    expect(figure(explorer)).to_have_attribute("alt", re.compile(r"^On 01 June 2016, "))
    before = figure(explorer).get_attribute("src")
    table = explorer.locator(".widget-output table").text_content()

    handle = explorer.locator(".noUi-handle")
    handle.focus()
    handle.press("ArrowRight")
    handle.press("ArrowRight")
    expect(explorer.locator(".widget-readout")).to_have_text("Aug 2016")
    expect(figure(explorer)).to_have_attribute("alt", re.compile(r"^On 01 August 2016, "))
    changed_src(explorer, before)
    expect(explorer.locator(".widget-output table")).not_to_have_text(table)
    expect(hint(explorer)).to_be_empty()


def spending(nb: Notebook) -> None:
    explorer = nb.cell_with_code("widgets.spending_explorer(")
    expect(figure(explorer)).to_have_attribute("alt", re.compile(r", 2013-2022, in US dollars"))

    before = figure(explorer).get_attribute("src")
    explorer.locator(".widget-dropdown select").select_option(label="percent of Mali's GDP")
    expect(figure(explorer)).to_have_attribute("alt", re.compile(r", in percent of Mali's GDP"))
    changed_src(explorer, before)

    before = figure(explorer).get_attribute("src")
    handle = explorer.locator(".noUi-handle-lower")
    handle.focus()
    handle.press("ArrowRight")
    expect(figure(explorer)).to_have_attribute("alt", re.compile(r", 2014-2022, in percent"))
    changed_src(explorer, before)

    before = figure(explorer).get_attribute("src")
    explorer.get_by_role("checkbox", name="Include amounts that cover the whole Sahel").click()
    changed_src(explorer, before)
    expect(hint(explorer)).to_be_empty()


def coups(nb: Notebook) -> None:
    explorer = nb.cell_with_code("widgets.coup_explorer(")
    expect(figure(explorer)).to_have_attribute("alt", re.compile(r"attempts? in 7 countries\."))

    explorer.get_by_role("checkbox", name="Include failed attempts").click()
    expect(figure(explorer)).to_have_attribute(
        "alt", re.compile(r" and 0 failed attempts in 7 countries\.")
    )

    before = figure(explorer).get_attribute("src")
    explorer.locator("select[multiple]").select_option(label="Mali")
    expect(figure(explorer)).to_have_attribute("alt", re.compile(r" in 1 country\."))
    changed_src(explorer, before)
    expect(explorer.locator(".widget-output table")).not_to_contain_text("BFA")
    expect(hint(explorer)).to_be_empty()


def events(nb: Notebook) -> None:
    explorer = nb.cell_with_code("widgets.event_explorer(")
    expect(figure(explorer)).to_have_attribute(
        "alt", re.compile(r"^3 events before and 3 after 'France and partners announce withdrawal")
    )

    before = figure(explorer).get_attribute("src")
    dropdown = explorer.locator(".widget-dropdown select")
    choice = dropdown.locator("option", has_text="MINUSMA").first.text_content()
    dropdown.select_option(label=choice)
    title = plain(choice).split("  ", 1)[1]  # options read "YYYY-MM-DD  title"
    expect(figure(explorer)).to_have_attribute("alt", re.compile(re.escape(f"'{title}'")))
    changed_src(explorer, before)

    before = figure(explorer).get_attribute("src")
    slider = explorer.locator(".widget-slider", has_text="Before:")
    slider.locator(".noUi-handle").focus()
    slider.locator(".noUi-handle").press("ArrowLeft")
    expect(slider.locator(".widget-readout")).to_have_text("2")
    expect(figure(explorer)).to_have_attribute("alt", re.compile(r"^2 events before and 3 after"))
    changed_src(explorer, before)
    expect(hint(explorer)).to_be_empty()


def claims(nb: Notebook) -> None:
    explorer = nb.cell_with_code("widgets.claim_explorer(")
    card = explorer.locator(".widget-output blockquote")
    expect(card).to_be_visible()
    shown = card.text_content()
    sources = explorer.locator(".widget-output table").text_content()

    dropdown = explorer.locator(".widget-dropdown select")
    choice = dropdown.locator("option", has_text=re.compile(r"^c12:\s")).text_content()
    dropdown.select_option(label=choice)
    start = plain(choice).removeprefix("c12: ").rstrip("…")[:60]
    expect(card).to_contain_text(start)
    expect(card).not_to_have_text(shown)
    expect(explorer.locator(".widget-output table")).not_to_have_text(sources)
    expect(hint(explorer)).to_be_empty()


# The verdict recorder of lesson 05 is not pressed here: saving would write
# notebooks/05_accountability.answers.json, a learner's own file. The exercise test covers
# saving an answer from the browser, in a scratch copy.
EXPLORERS = {
    "01_intervention": [presence],
    "02_costs": [spending],
    "03_coups": [coups],
    "04_realignment": [events],
    "05_accountability": [claims],
}


@pytest.mark.parametrize("lesson", sorted(EXPLORERS))
def test_lesson_runs_in_jupyterlab_and_its_explorers_respond(lesson, lab, lab_page):
    path = ROOT / "notebooks" / f"{lesson}.ipynb"
    committed = path.read_bytes()
    with no_new_checkpoint(path):
        nb = Notebook(lab_page, lab, path).open()
        nb.assert_ran_cleanly(nb.run_all())
        for explore in EXPLORERS[lesson]:
            explore(nb)
        assert not nb.errors(), nb.errors()
        nb.screenshot(ARTIFACTS / f"{lesson}.png")
    assert path.read_bytes() == committed, f"the browser run changed {path}"
