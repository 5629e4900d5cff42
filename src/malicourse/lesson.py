"""What the first code cell of every lesson calls."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from .data import load, table_names
from .feedback import show_hints_not_tracebacks


class CourseTables(SimpleNamespace):
    """The course tables, one attribute each (``data.costs``); printed as a short list."""

    def __repr__(self) -> str:
        rows = [
            f"  data.{name:<15} {len(frame):>4} rows; {', '.join(map(str, frame.columns[:4]))}"
            + (", …" if len(frame.columns) > 4 else "")
            for name, frame in vars(self).items()
        ]
        return "The course tables:\n" + "\n".join(rows)


def start() -> CourseTables:
    """Load every course table (validated) and switch on hints instead of tracebacks.

    Returns a namespace: ``data.costs``, ``data.events`` and so on, one DataFrame per table.
    Also makes printed values plain for beginners: ``13.73``, not ``np.float64(13.73)``.
    """
    show_hints_not_tracebacks()
    pd.set_option("display.max_colwidth", 120)
    pd.set_option("display.max_rows", 40)
    np.set_printoptions(legacy="1.25")  # numpy >= 2 would print np.float64(13.73)
    return CourseTables(**{name: load(name) for name in table_names()})
