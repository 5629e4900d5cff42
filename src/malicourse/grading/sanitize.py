"""Everything a student wrote is data: made safe before it becomes HTML or a spreadsheet cell.

``SanitizeStudentHTML`` runs on each autograded notebook, the one the formgrader and the
feedback pages render. Markdown is rendered with nbconvert's own renderer and cleaned with nh3
(the Python binding of the Rust sanitizer ammonia: an allow-list of tags and attributes, no
script, no event handlers, no ``javascript:`` links); a script's text stays visible as text, so
a grader sees what the student wrote. HTML outputs are cleaned the same way; outputs that would
run code in a page (JavaScript, widget views, unknown types) are dropped.
``spreadsheet_safe`` applies the OWASP rule for CSV injection to every text a grade file writes.
"""

from __future__ import annotations

import html

import nh3
from nbconvert.filters import markdown2html
from nbconvert.preprocessors import Preprocessor

SAFE_OUTPUT_TYPES = {"text/plain", "image/png", "image/jpeg", "image/gif", "image/svg+xml"}
MAX_MARKDOWN_CHARS = 100_000  # longer answers are shown as plain text, not parsed
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
    """Markdown as clean HTML in one block, which a later markdown pass leaves as it is.

    Text too long or too deeply nested to render is shown escaped, as it was written.
    """
    try:
        if len(source) > MAX_MARKDOWN_CHARS:
            raise ValueError("too long to render")
        cleaned = nh3.clean(markdown2html(source), clean_content_tags=set())
    except (ValueError, RecursionError):
        cleaned = f"<pre>{html.escape(source[:MAX_MARKDOWN_CHARS])}</pre>"
    lines = [line for line in cleaned.splitlines() if line.strip()]  # no blank line ends the block
    return '<div class="student-text">\n' + "\n".join(lines) + "\n</div>"


def _safe_output(output):
    data = output.get("data")
    if data is None:  # streams and errors are shown as escaped text
        return output
    kept = {kind: value for kind, value in data.items() if kind in SAFE_OUTPUT_TYPES}
    if "text/html" in data:
        kept["text/html"] = nh3.clean(_text(data["text/html"]))
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
