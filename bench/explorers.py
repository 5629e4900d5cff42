"""Time one interaction of each explorer: computation plus redraw (SVG, as the browser gets it).

The baseline, measured in the same run, is the cheapest possible redraw: one line plotted on a
bare figure and written as SVG. The course's target: a move to a control state not seen before
costs at most twice the baseline (median). Moving back to a state seen before is timed apart:
explorers remember what they drew, so those moves cost almost nothing and would flatter the
median if mixed in.

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

TARGET_RATIO = 2.0

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


def timed_moves(make, control: str, values, repeat: int) -> dict[str, list[float]]:
    """Moves to states not seen before (fresh explorers as needed), then revisits.

    A baseline render is timed after every move, so each row's ratio compares times taken
    under the same load (the machine may be shared).
    """
    times: dict[str, list[float]] = {"new": [], "seen": [], "baseline": []}
    while len(times["new"]) < repeat:
        explorer = make()
        if values is None:
            values = [value for _, value in explorer.controls[control].options[::7]]
        seen = {explorer.controls[control].value}
        for value in values[1:] + values[:1]:
            if value in seen or len(times["new"]) == repeat:
                continue
            seen.add(value)
            times["new"].append(interaction_ms(explorer, control, value))
            times["baseline"].append(baseline_ms())
    moves = cycle(list(seen))  # states this explorer has shown
    for _ in range(repeat):
        times["seen"].append(interaction_ms(explorer, control, next(moves)))
        times["baseline"].append(baseline_ms())
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="interactions per explorer (median)")
    args = parser.parse_args()

    print(
        f"medians of {args.repeat} moves to new states and {args.repeat} revisits per explorer; "
        "baseline: a one-line figure to SVG, timed after every move"
    )
    print(
        f"{'explorer':<26} {'baseline':>8} {'new state':>9} {'ratio':>6} {'revisit':>8} "
        f"{'ratio':>6}  target: new state <= {TARGET_RATIO:g} x baseline"
    )
    for name, (make, control, values) in MOVES.items():
        times = timed_moves(make, control, values, args.repeat)
        floor, new, seen = (statistics.median(times[k]) for k in ("baseline", "new", "seen"))
        verdict = "ok" if new <= TARGET_RATIO * floor else "SLOW"
        print(
            f"{name:<26} {floor:8.1f} {new:9.1f} {new / floor:6.2f} {seen:8.1f} "
            f"{seen / floor:6.2f}  {verdict}"
        )
    print("(times in ms)")


if __name__ == "__main__":
    main()
