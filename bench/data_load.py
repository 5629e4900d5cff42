"""Time loading every course table: first load (validation) and later loads (cache).

Baseline, measured in the same run: plain ``pandas.read_csv`` of the same files, untyped and
unvalidated. The course's target is under 200 ms for all tables after the first load. The
validation cache starts empty (a scratch folder), so the first load validates; a new kernel
loading the same content again only reads and types the tables (see bench/start.py).

    python bench/data_load.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
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
    with tempfile.TemporaryDirectory() as scratch:
        os.environ[data.CACHE_ENV] = scratch
        first = all_tables_ms(data.load)
        data._CACHE.clear()  # as in a new kernel
        again = all_tables_ms(data.load)
    cached = statistics.median(all_tables_ms(data.load) for _ in range(args.repeat))
    rows = [
        ("baseline: pandas.read_csv, raw", baseline, ""),
        ("first load (validate + type)", first, ""),
        ("new kernel, same content (type)", again, ""),
        ("later loads (cached copies)", cached, "  target < 200 ms"),
    ]
    print(f"{'all tables':<34} {'ms':>8} {'ratio':>7}")
    for label, ms, note in rows:
        print(f"{label:<34} {ms:8.1f} {ms / baseline:7.2f}{note}")


if __name__ == "__main__":
    main()
