"""What the first code cell of every lesson calls."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from .data import load, table_names
from .feedback import show_hints_not_tracebacks


def start() -> SimpleNamespace:
    """Load every course table (validated) and switch on hints instead of tracebacks.

    Returns a namespace: ``data.costs``, ``data.events`` and so on, one DataFrame per table.
    """
    show_hints_not_tracebacks()
    pd.set_option("display.max_colwidth", 120)
    pd.set_option("display.max_rows", 40)
    return SimpleNamespace(**{name: load(name) for name in table_names()})
