"""Time loading every course table: first load (validation) and later loads (cache).

Baseline, measured in the same run: plain ``pandas.read_csv`` of the same files, untyped and
unvalidated. The course's target is under 200 ms for all tables after the first load.

    python bench/data_load.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

import pandas as pd

from malicourse import data


def all_tables_ms(load) -> float:
    started = time.perf_counter()
    for name in data.table_names():
        load(name)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    folder = data.data_dir()

    def raw(name):
        return pd.read_csv(folder / f"{name}.csv")

    baseline = statistics.median(all_tables_ms(raw) for _ in range(args.repeat))
    first = all_tables_ms(data.load)
    cached = statistics.median(all_tables_ms(data.load) for _ in range(args.repeat))
    print(f"{'all tables':<34} {'ms':>8} {'ratio':>7}")
    print(f"{'baseline: pandas.read_csv, raw':<34} {baseline:8.1f} {1:7.2f}")
    print(f"{'first load (validate + type)':<34} {first:8.1f} {first / baseline:7.2f}")
    print(
        f"{'later loads (cached copies)':<34} {cached:8.1f} {cached / baseline:7.2f}"
        "  target < 200 ms"
    )


if __name__ == "__main__":
    main()
