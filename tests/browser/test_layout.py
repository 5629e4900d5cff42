"""What a student sees after Run All: nothing cut off, and no answer shown above its question.

For each lesson, JupyterLab runs every cell once (a module-scoped fixture) and the page is
measured; the tests then judge the measurements:

- every widget description, readout, button and option fits its box (an element whose
  content is wider than its box is cut off, often with an ellipsis: "Include amounts that cover
  the whole …", a readout "2013 – 202");
- every text of every figure, legend entries included, lies inside the figure: the SVG of each
  figure output is laid out in the page and each text's box is compared with the viewBox;
- each "check your understanding" cell shows its widget and hides its source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import nbformat
import pytest
from conftest import ROOT

from malicourse import questions

from .conftest import ARTIFACTS
from .lab import CHROMIUM, Notebook, block_the_network, expect, no_new_checkpoint

try:
    from playwright.sync_api import sync_playwright
except ImportError:
    sync_playwright = None

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.slow]

LESSONS = sorted(
    p.stem for p in ROOT.glob("notebooks/[0-9][0-9]_*.ipynb") if not p.stem.startswith("00")
)
# A question cell: today's one-line call, or a Question built in the cell (the older form).
QUESTION = re.compile(r"\bquestions\.ask\(|^ask\(|\bQuestion\(", re.MULTILINE)
# The prompt of a code cell whose source is shown (a hidden one has a placeholder's prompt).
VISIBLE_PROMPTS = ".jp-Notebook .jp-CodeCell .jp-InputArea-prompt"
TOLERANCE = 1  # px for boxes, viewBox units for figures: rounding, not a cut-off letter

# Text a student reads on a widget: descriptions (.widget-label; a checkbox's is
# .widget-label-basic), slider readouts, button captions and radio-button options. The
# options of a dropdown are measured separately: a <select> shows the chosen one, clipped.
LABELS = ", ".join(
    [
        ".widget-label",
        ".widget-label-basic",
        ".widget-readout",
        ".jupyter-button",
        ".widget-radio-box label",
    ]
)

MEASURE_LABELS = r"""
([selector, tolerance]) => {
  const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell'));
  const where = e => cells.indexOf(e.closest('.jp-Cell')) + 1;  // as numbered in tests
  const say = text => text.replace(/\s+/g, ' ').trim();  // ipywidgets writes no-break spaces
  const found = [];
  let checked = 0;
  const scope = '.jp-Notebook .jp-OutputArea-output ';
  for (const e of document.querySelectorAll(selector.split(', ').map(s => scope + s).join(', '))) {
    if (e.clientWidth === 0 && e.getClientRects().length === 0) continue;  // not rendered
    checked += 1;
    if (e.scrollWidth > e.clientWidth + tolerance) {
      found.push({cell: where(e), kind: e.className.split(' ')[0] || e.tagName.toLowerCase(),
                  text: say(e.textContent), needs: e.scrollWidth, has: e.clientWidth});
    }
  }
  // A <select> draws its chosen option inside its padding; every option may be chosen.
  const pen = document.createElement('canvas').getContext('2d');
  for (const s of document.querySelectorAll(scope + 'select')) {
    if (s.getClientRects().length === 0) continue;
    const style = getComputedStyle(s);
    pen.font = style.font;
    const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    for (const option of s.options) {
      checked += 1;
      const needs = pen.measureText(option.text).width;
      if (needs > room + tolerance) {
        found.push({cell: where(s), kind: s.multiple ? 'select-multiple option' : 'dropdown option',
                    text: say(option.text), needs: Math.ceil(needs),
                    has: Math.floor(room)});
      }
    }
  }
  return {checked, found};
}
"""

# Each figure is an <img> of an SVG (figures.Chart): decode it, lay it out (invisibly) in the
# page with the same fonts the <img> uses, and compare each <text>'s box with the viewBox.
MEASURE_FIGURES = """
(tolerance) => {
  const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell'));
  const figures = [];
  const images = document.querySelectorAll(
    '.jp-Notebook .jp-OutputArea-output img[src^="data:image/svg+xml"]');
  for (const img of images) {
    const [head, body] = img.getAttribute('src').split(',', 2);
    const text = head.endsWith(';base64')
      ? new TextDecoder().decode(Uint8Array.from(atob(body), c => c.charCodeAt(0)))
      : decodeURIComponent(body);
    const host = document.createElement('div');
    host.style.cssText = 'position:absolute; left:0; top:0; visibility:hidden';
    document.body.appendChild(host);
    host.appendChild(document.importNode(
      new DOMParser().parseFromString(text, 'image/svg+xml').documentElement, true));
    const svg = host.querySelector('svg');
    const view = svg.viewBox.baseVal;
    const frame = svg.getBoundingClientRect();
    const sx = view.width / frame.width, sy = view.height / frame.height;
    const outside = [];
    const texts = svg.querySelectorAll('text');
    for (const t of texts) {
      const r = t.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const box = [view.x + (r.left - frame.left) * sx, view.y + (r.top - frame.top) * sy,
                   view.x + (r.right - frame.left) * sx, view.y + (r.bottom - frame.top) * sy];
      if (box[0] < view.x - tolerance || box[1] < view.y - tolerance
          || box[2] > view.x + view.width + tolerance
          || box[3] > view.y + view.height + tolerance) {
        const legend = t.closest('g[id^="legend"]');
        const group = t.closest('g[id]');
        outside.push({text: t.textContent, part: legend ? 'legend' : (group ? group.id : 'figure'),
                      box: box.map(v => Math.round(v)),
                      view: [view.x, view.y, view.width, view.height].map(v => Math.round(v))});
      }
    }
    figures.push({cell: cells.indexOf(img.closest('.jp-Cell')) + 1, alt: img.alt,
                  texts: texts.length, outside});
    host.remove();
  }
  return figures;
}
"""


@dataclass
class Layout:
    lesson: str
    labels_checked: int = 0
    labels: list[dict] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    questions: list[dict] = field(default_factory=list)


def question_cells(lesson: str) -> list[int]:
    notebook = nbformat.read(ROOT / "notebooks" / f"{lesson}.ipynb", as_version=4)
    return [
        i
        for i, c in enumerate(notebook.cells)
        if c.cell_type == "code" and QUESTION.search(c.source)
    ]


def ran_cleanly(nb: Notebook) -> None:
    """Like Notebook.assert_ran_cleanly, for a notebook with hidden-source cells: JupyterLab
    shows no execution count for a cell whose source is hidden, so only the others are counted
    (the question test checks that each hidden cell shows its widget)."""
    errors = nb.errors()
    assert not errors, f"{nb.path.name}: outputs show errors:\n" + "\n---\n".join(errors)
    prompts = [p.strip() for p in nb.page.locator(VISIBLE_PROMPTS).all_text_contents()]
    not_run = [i for i, p in enumerate(prompts) if not re.fullmatch(r"\[\d+\]:", p)]
    assert not not_run, f"{nb.path.name}: code cells {not_run} did not run: {prompts}"


def look_at_questions(nb: Notebook, indices: list[int]) -> list[dict]:
    seen = []
    for index in indices:
        cell = nb.cells.nth(index)
        cell.scroll_into_view_if_needed()
        editor = cell.locator(".jp-InputArea")
        collapsed = cell.locator(".jp-InputPlaceholder")
        seen.append(
            {
                "cell": index + 1,
                "source_visible": editor.count() > 0 and editor.first.is_visible(),
                "placeholder": collapsed.count() == 1 and collapsed.is_visible(),
                # A collapsed cell shows its first line, greyed: the one-line call.
                "placeholder_text": " ".join(collapsed.all_inner_texts()),
                "radio_buttons": cell.locator(".widget-radio-box").count(),
                "check_button": cell.get_by_role("button", name="Check my answer").count(),
            }
        )
    return seen


@pytest.fixture(scope="module", params=LESSONS)
def layout(request, lab) -> Layout:
    """Run a lesson in JupyterLab once and measure the page; the browser is closed after."""
    if sync_playwright is None:
        pytest.fail("Playwright is not installed: run `make setup-test` (requirements-test.txt)")
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make setup-test` installs it")
    lesson = request.param
    path = ROOT / "notebooks" / f"{lesson}.ipynb"
    committed = path.read_bytes()
    seen = Layout(lesson)
    with no_new_checkpoint(path), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            block_the_network(page)
            nb = Notebook(page, lab, path).open()
            nb.run_all(timeout=300_000)
            ran_cleanly(nb)
            # Widgets render after the kernel is idle; the question is the last one to come.
            expect(page.locator(".widget-radio-box").last).to_be_visible(timeout=30_000)
            page.wait_for_timeout(500)  # let the last layout settle before measuring
            measured = page.evaluate(MEASURE_LABELS, [LABELS, TOLERANCE])
            seen.labels_checked, seen.labels = measured["checked"], measured["found"]
            seen.figures = page.evaluate(MEASURE_FIGURES, TOLERANCE)
            seen.questions = look_at_questions(nb, question_cells(lesson))
            if seen.labels or any(f["outside"] for f in seen.figures):
                nb.screenshot(ARTIFACTS / f"layout-{lesson}.png")
        finally:
            browser.close()
            lab.shutdown_kernels()
    assert path.read_bytes() == committed, f"the browser run changed {path}"
    return seen


def test_widget_labels_readouts_and_options_fit_their_boxes(layout):
    assert layout.labels_checked > 0, f"{layout.lesson}: no widget labels found to check"
    cut = [
        f"cell {p['cell']}: {p['kind']} {p['text']!r} needs {p['needs']}px, has {p['has']}px"
        for p in layout.labels
    ]
    assert not cut, f"{layout.lesson}: text cut off in its widget box:\n" + "\n".join(cut)


def test_figure_text_and_legend_entries_lie_inside_the_figure(layout):
    assert layout.figures, f"{layout.lesson}: no SVG figure found after Run All"
    assert all(f["texts"] for f in layout.figures), "a figure without <text>: fonts as paths?"
    outside = [
        f"cell {f['cell']} ({f['alt'][:50]}…): {p['part']} text {p['text']!r} spans "
        f"{p['box']} (x0, y0, x1, y1), the figure is {p['view']} (x, y, width, height)"
        for f in layout.figures
        for p in f["outside"]
    ]
    assert not outside, f"{layout.lesson}: figure text cut off at the edge:\n" + "\n".join(outside)


def test_question_cells_show_the_widget_and_hide_their_source(layout):
    assert layout.questions, f"{layout.lesson}: no question cell (questions.ask(...)) found"
    specs = questions.load(layout.lesson).values() if layout.lesson in questions.lessons() else []
    options = [o.text for spec in specs for o in spec.options if not spec.values]
    for q in layout.questions:
        where = f"{layout.lesson}, cell {q['cell']}"
        assert not q["source_visible"], f"{where}: the question's source is on screen"
        assert q["placeholder"], f"{where}: no collapsed-source placeholder"
        shown = q["placeholder_text"]
        assert "\n" not in shown.strip() and "correct" not in shown, f"{where}: shows {shown!r}"
        assert not [o for o in options if o in shown], f"{where}: an option shows: {shown!r}"
        assert q["radio_buttons"] == 1, f"{where}: the question's radio buttons are not shown"
        assert q["check_button"] == 1, f"{where}: no 'Check my answer' button"
