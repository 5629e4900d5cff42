"""Time one interaction of each explorer: computation plus redraw (SVG, as the browser gets it).

The baseline, measured in the same run, is the cheapest possible redraw: one line plotted on a
bare figure and written as SVG. The course's target is a median of at most 100 ms per interaction.

    python bench/explorers.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from itertools import cycle

import pandas as pd
from matplotlib.figure import Figure

from malicourse import widgets
from malicourse.figures import Chart

TARGET_MS = 100

# Each explorer with a control to move and the values to move it through.
MOVES = {
    "presence (date slider)": (
        widgets.presence_explorer,
        "on",
        [pd.Timestamp(f"{y}-06-01") for y in range(2013, 2025)],
    ),
    "spending (year range)": (
        widgets.spending_explorer,
        "years",
        [(2013, y) for y in range(2016, 2024)],
    ),
    "spending (measure)": (
        widgets.spending_explorer,
        "measure",
        ["usd", "share_of_gdp", "usd_per_person"],
    ),
    "coups (countries)": (
        widgets.coup_explorer,
        "country_codes",
        [("MLI",), ("MLI", "BFA", "NER"), ("MLI", "GIN", "TCD", "SDN")],
    ),
    "events (chosen event)": (widgets.event_explorer, "event_id", None),
    "claims (chosen claim)": (widgets.claim_explorer, "claim_id", None),
}


def baseline_ms() -> float:
    figure = Figure(figsize=(8, 4.2))
    figure.add_subplot().plot([0, 1], [0, 1])
    started = time.perf_counter()
    figure.savefig(io.StringIO(), format="svg")
    return (time.perf_counter() - started) * 1000


def interaction_ms(explorer, control: str, value) -> float:
    started = time.perf_counter()
    explorer.controls[control].value = value  # runs compute + draw, as a move in the browser does
    for view in explorer.views:
        if isinstance(view, Chart):
            view.svg()
        elif hasattr(view, "to_html"):
            view.to_html()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="interactions per explorer (median)")
    args = parser.parse_args()

    floor = statistics.median(baseline_ms() for _ in range(args.repeat))
    print(
        f"median of {args.repeat} interactions; baseline: one-line figure to SVG = {floor:.1f} ms"
    )
    print(f"{'explorer':<26} {'median ms':>9} {'ratio':>6}  target <= {TARGET_MS} ms")
    for name, (make, control, values) in MOVES.items():
        explorer = make()
        if values is None:
            values = [value for _, value in explorer.controls[control].options[::7]]
        moves = cycle(values[1:] + values[:1])
        times = [interaction_ms(explorer, control, next(moves)) for _ in range(args.repeat)]
        median = statistics.median(times)
        verdict = "ok" if median <= TARGET_MS else "SLOW"
        print(f"{name:<26} {median:9.1f} {median / floor:6.1f}  {verdict}")


if __name__ == "__main__":
    main()
