"""Everything a student wrote is data: made safe before it becomes HTML or a spreadsheet cell.

``SanitizeStudentHTML`` runs on each autograded notebook, the one the formgrader and the
feedback pages render. Markdown is rendered and cleaned with nbconvert's own sanitizer
(``clean_html``: an allow-list of tags and attributes, no script, no event handlers, no
``javascript:`` links); HTML outputs are cleaned the same way; outputs that would run code in a
page (JavaScript, widget views, unknown types) are dropped. ``spreadsheet_safe`` applies the
OWASP rule for CSV injection to every text a grade file writes.
"""

from __future__ import annotations

from nbconvert.filters import clean_html, markdown2html
from nbconvert.preprocessors import Preprocessor

SAFE_OUTPUT_TYPES = {"text/plain", "image/png", "image/jpeg", "image/gif", "image/svg+xml"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


class SanitizeStudentHTML(Preprocessor):
    enabled = True

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = safe_markdown(cell.source)
        elif cell.cell_type == "raw":
            cell.metadata.pop("raw_mimetype", None)  # shown as text, never as HTML
            cell.metadata.pop("format", None)
        elif cell.cell_type == "code":
            cell.outputs = [_safe_output(output) for output in cell.get("outputs", [])]
        return cell, resources


def safe_markdown(source: str) -> str:
    """Markdown as clean HTML in one block, which a later markdown pass leaves as it is."""
    cleaned = clean_html(markdown2html(source))
    lines = [line for line in cleaned.splitlines() if line.strip()]  # no blank line ends the block
    return '<div class="student-text">\n' + "\n".join(lines) + "\n</div>"


def _safe_output(output):
    data = output.get("data")
    if data is None:  # streams and errors are shown as escaped text
        return output
    kept = {kind: value for kind, value in data.items() if kind in SAFE_OUTPUT_TYPES}
    if "text/html" in data:
        kept["text/html"] = clean_html(_text(data["text/html"]))
    if "text/markdown" in data:
        kept["text/html"] = safe_markdown(_text(data["text/markdown"]))
    if not kept:
        kept["text/plain"] = "[an output the grader does not show: " + ", ".join(sorted(data)) + "]"
    output["data"] = kept
    output.get("metadata", {}).clear()
    return output


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def spreadsheet_safe(value):
    """A CSV cell that no spreadsheet will run as a formula (OWASP CSV injection rule)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
