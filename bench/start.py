"""Time the first cell of a lesson, ``start()``, in fresh processes: cold and with the cache.

Cold: an empty validation cache, so frictionless validates every table (as on the first run
after installing, or after any edit of the data). Cached: the same content validated earlier,
so ``start()`` only reads and types the tables. Baseline, measured in the same run and also in
fresh processes: ``pandas.read_csv`` of the same files, untyped and unvalidated. Imports are
timed apart (a lesson's first cell pays them too, but they do not depend on the cache).

    python bench/start.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET_S = 0.3

PANDAS = """
import json, time
import pandas as pd
from malicourse.data import data_dir, table_names
names = table_names()
started = time.perf_counter()
for name in names:
    pd.read_csv(data_dir() / f"{name}.csv")
print(json.dumps({"import": 0.0, "run": time.perf_counter() - started}))
"""

START = """
import json, time
started = time.perf_counter()
from malicourse.lesson import start
imported = time.perf_counter()
start()
print(json.dumps({"import": imported - started, "run": time.perf_counter() - imported}))
"""


def fresh_process(code: str, cache: Path) -> dict:
    env = {**os.environ, "MALICOURSE_CACHE_DIR": str(cache)}
    env.pop("PYTEST_CURRENT_TEST", None)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per row (median)")
    args = parser.parse_args()
    rows: dict[str, list[dict]] = {"pandas": [], "cold": [], "cached": []}
    with tempfile.TemporaryDirectory() as scratch:
        for n in range(args.repeat):
            rows["pandas"].append(fresh_process(PANDAS, Path(scratch, "unused")))
            cache = Path(scratch, f"cache{n}")  # empty: validates
            rows["cold"].append(fresh_process(START, cache))
            rows["cached"].append(fresh_process(START, cache))  # same content: remembered

    def median(kind: str, key: str) -> float:
        return statistics.median(run[key] for run in rows[kind])

    baseline = median("pandas", "run")
    print(
        f"median of {args.repeat} fresh processes each; target: start() with cache <= {TARGET_S} s"
    )
    print(f"{'first cell':<42} {'import s':>8} {'run s':>7} {'ratio':>7}")
    labels = {
        "pandas": "baseline: pandas.read_csv of every table",
        "cold": "start(), nothing cached (validates)",
        "cached": "start(), same content validated before",
    }
    for kind, label in labels.items():
        run = median(kind, "run")
        verdict = ""
        if kind == "cached":
            verdict = "  ok" if run <= TARGET_S else "  SLOW"
        imported = median(kind, "import")
        print(f"{label:<42} {imported:8.2f} {run:7.3f} {run / baseline:7.1f}{verdict}")


if __name__ == "__main__":
    main()
