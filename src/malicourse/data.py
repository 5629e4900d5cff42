"""The one place that knows the data files: ``load(name)`` returns a validated, typed DataFrame.

Validation is frictionless's, driven by ``data/datapackage.json``: field types, required
fields, enums, primary and foreign keys, checksums, and each resource's row constraints
(its ``checks``). The one rule frictionless cannot express, a foreign key held in a
semicolon-separated list (``source_ids``), is a frictionless check defined here.
Any problem raises :class:`DataError` naming the file, the row, the column and what was expected.

Validating takes frictionless about a second and a half, reading the files with pandas a
hundredth of that. So :func:`load` validates each *content* once: after a clean validation the
SHA-256 of the manifest and of every file is recorded in a small cache file (see
:func:`cache_dir`), and a later load of byte-identical files skips frictionless. Any changed
byte gives a new digest, hence a full validation with the same errors. :func:`validate` always
validates, and so does anything run by pytest, unless it names a cache folder explicitly.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .course import course_root

MANIFEST = "datapackage.json"
SOURCES = "sources"
CACHE_ENV = "MALICOURSE_CACHE_DIR"
CACHE_FILE = "validated-data.json"
_CACHE_KEEP = 20  # digests remembered: enough for a few checkouts and edits


class DataError(ValueError):
    """A data file does not match its description in datapackage.json."""


def data_dir() -> Path:
    return course_root() / "data"


def table_names(folder: Path | None = None) -> list[str]:
    return [resource["name"] for resource in _manifest(folder or data_dir())["resources"]]


def load(name: str, folder: Path | None = None) -> pd.DataFrame:
    """The table ``name`` (e.g. ``"costs"``), validated; dates, numbers and categories typed."""
    folder = (folder or data_dir()).resolve()
    names = table_names(folder)
    if name not in names:
        raise DataError(f"there is no table called {name!r}; the tables are: {', '.join(names)}")
    return _validated(folder).tables[name].copy()


def validate(folder: Path | None = None) -> None:
    """Check every table against the data package; raise DataError listing what is wrong.

    Always runs the full validation, whatever the cache says.
    """
    folder = (folder or data_dir()).resolve()
    _check_with_frictionless(folder)
    digest, _ = _content(folder)
    _remember_valid(digest)


def cache_dir() -> Path | None:
    """Where :func:`load` remembers which contents validated cleanly; None: do not remember.

    ``MALICOURSE_CACHE_DIR`` wins (``off`` turns the cache off). Under pytest, with no folder
    named explicitly, nothing is remembered, so the test suite validates on every run.
    Otherwise the user's cache folder, e.g. ``~/.cache/malicourse`` on Linux.
    """
    explicit = os.environ.get(CACHE_ENV, "").strip()
    if explicit:
        return None if explicit.lower() in {"off", "none", "0"} else Path(explicit).expanduser()
    if "PYTEST_CURRENT_TEST" in os.environ:
        return None
    try:
        from platformdirs import user_cache_dir
    except ImportError:  # pragma: no cover - platformdirs comes with jupyter_core
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return Path(base) / "malicourse"
    return Path(user_cache_dir("malicourse", appauthor=False))


def sources_for(source_ids: str | pd.Series, folder: Path | None = None) -> pd.DataFrame:
    """The rows of sources.csv cited by one ``source_ids`` cell, or by a whole column of them."""
    cells = [source_ids] if isinstance(source_ids, str) else source_ids.dropna().tolist()
    wanted = list(dict.fromkeys(sid for cell in cells for sid in cell.split(";")))
    sources = load(SOURCES, folder).set_index("source_id")
    return sources.loc[wanted].reset_index()


def period_usd_rate(rates: pd.DataFrame, currency: str, start, end) -> float:
    """US dollars per unit of ``currency`` over a period: annual averages weighted by days.

    Days after the last year in the table use that year's rate (the conversion notes say so).
    """
    annual = rates[rates["currency"] == currency].set_index("year")["usd_per_unit"]
    days = pd.date_range(start, end, freq="D")
    if days.empty:
        raise DataError(f"the period {start} to {end} is empty")
    first = int(annual.index.min()) if len(annual) else None
    if first is None or days[0].year < first:
        raise DataError(f"no {currency} rate for {days[0].year} in exchange_rates.csv")
    years = pd.Series(days.year).clip(upper=int(annual.index.max()))
    return float(years.map(annual).mean())


def write_manifest_checksums(folder: Path | None = None) -> list[str]:
    """Record each file's size and SHA-256 in the manifest, so any later edit is detected."""
    folder = folder or data_dir()
    manifest = _manifest(folder)
    changed = []
    for resource in manifest["resources"]:
        content = (folder / resource["path"]).read_bytes()
        digest = f"sha256:{hashlib.sha256(content).hexdigest()}"
        if resource.get("hash") != digest:
            changed.append(resource["path"])
        resource["hash"], resource["bytes"] = digest, len(content)
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    return changed


# --- validation -------------------------------------------------------------------------


def _source_ids_check(known: frozenset[str], fields: list[str]):
    """A frictionless check: every id in a ``*source_ids`` cell names a row of sources.csv.

    A narrower list beside ``source_ids`` (``date_source_ids``: the sources that state the
    date) must also be cited by the row itself. Built on demand so that importing this module
    does not import frictionless (0.2 s).
    """
    import attrs
    from frictionless import Check, errors

    def ids(cell) -> list[str]:
        return [sid for sid in (cell or "").split(";") if sid]

    @attrs.define(kw_only=True, repr=False)
    class source_ids_resolve(Check):
        type = "source-ids-resolve"
        Errors = (errors.ConstraintError,)

        def validate_row(self, row):
            cited = set(ids(row["source_ids"])) if "source_ids" in fields else set()
            for field in fields:
                unknown = [sid for sid in ids(row[field]) if sid not in known]
                uncited = [s for s in ids(row[field]) if field != "source_ids" and s not in cited]
                if unknown:
                    note = f"unknown source {', '.join(map(repr, unknown))}: add it to sources.csv"
                elif uncited:
                    note = f"{', '.join(map(repr, uncited))} must also be in source_ids"
                else:
                    continue
                yield errors.ConstraintError.from_row(row, note=note, field_name=field)

    return source_ids_resolve()


@dataclass(frozen=True)
class _Validated:
    signature: tuple
    tables: dict[str, pd.DataFrame]


_CACHE: dict[Path, _Validated] = {}


def _validated(folder: Path) -> _Validated:
    signature = _signature(folder)
    cached = _CACHE.get(folder)
    if cached is None or cached.signature != signature:
        digest, contents = _content(folder)
        if digest not in _remembered():
            _check_with_frictionless(folder)
            _remember_valid(digest)
        manifest = json.loads(contents[MANIFEST])
        tables = {r["name"]: _read_typed(contents[r["path"]], r) for r in manifest["resources"]}
        cached = _CACHE[folder] = _Validated(signature, tables)
    return cached


def _signature(folder: Path) -> tuple:
    files = [*sorted(folder.glob("*.csv")), folder / MANIFEST]
    return tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.exists())


def _content(folder: Path) -> tuple[str, dict[str, bytes]]:
    """The bytes of the manifest and of every file it lists, and one SHA-256 over all of them.

    The digest also covers this module's source and frictionless's version: a change to the
    rules re-validates too. Tables are then read from these same bytes, so what was validated
    is what is loaded even if a file changes in between.
    """
    _manifest(folder)  # a clear DataError if the manifest is missing or not JSON
    contents = {MANIFEST: (folder / MANIFEST).read_bytes()}
    for resource in json.loads(contents[MANIFEST])["resources"]:
        path = folder / resource["path"]
        if not path.is_file():
            raise DataError(f"{path} is missing")
        contents[resource["path"]] = path.read_bytes()
    digest = hashlib.sha256(_rules_version().encode())
    for name in sorted(contents):
        content = contents[name]
        digest.update(f"\0{name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest(), contents


def _rules_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        frictionless_version = version("frictionless")
    except PackageNotFoundError:  # pragma: no cover
        frictionless_version = "?"
    rules = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    return f"frictionless {frictionless_version}; data.py {rules}"


def _remembered() -> list[str]:
    """Digests of contents that validated cleanly; empty if there is no readable cache."""
    folder = cache_dir()
    if folder is None:
        return []
    try:
        known = json.loads((folder / CACHE_FILE).read_text(encoding="utf-8"))["validated"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [d for d in known if isinstance(d, str)] if isinstance(known, list) else []


def _remember_valid(digest: str) -> None:
    """Record a clean validation; a read-only or missing cache folder just means no record."""
    folder = cache_dir()
    if folder is None:
        return
    known = [digest, *(d for d in _remembered() if d != digest)][:_CACHE_KEEP]
    text = json.dumps({"about": "malicourse: data contents that validated", "validated": known})
    temporary = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".validated-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, folder / CACHE_FILE)  # atomic: readers never see half a file
    except OSError:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path} is missing: the course data cannot be read without it") from None
    except ValueError as exc:
        raise DataError(f"{path} is not valid JSON: {exc}") from None


def _check_with_frictionless(folder: Path) -> None:
    from frictionless import Checklist, Package

    manifest = _manifest(folder)
    for resource in manifest["resources"]:
        if not (folder / resource["path"]).is_file():
            raise DataError(f"{folder / resource['path']} is missing")
    package = Package(manifest, basepath=str(folder))
    known = frozenset(
        pd.read_csv(folder / "sources.csv", usecols=["source_id"], dtype=str)["source_id"]
    )
    problems = []
    for resource in package.resources:
        declared = manifest_resource(manifest, resource.name).get("checks", [])
        checklist = Checklist.from_descriptor({"checks": declared})
        if cited := [f for f in resource.schema.field_names if f.endswith("source_ids")]:
            checklist.add_check(_source_ids_check(known, cited))
        report = resource.validate(checklist=checklist, limit_errors=20)
        path = folder / resource.path
        problems += [
            _explain(path, resource, error) for task in report.tasks for error in task.errors
        ]
        problems += [f"{path}: {error.message}" for error in report.errors]
    problems = list(dict.fromkeys(problems))  # a header problem is reported once per row
    if problems:
        shown = problems[:20]
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise DataError("the course data is broken:\n" + "\n".join(shown) + more)


def manifest_resource(manifest: dict, name: str) -> dict:
    return next(r for r in manifest["resources"] if r["name"] == name)


def _explain(path: Path, resource, error) -> str:
    row = getattr(error, "row_number", None)
    where = f"{path}, row {row}" if row else str(path)
    field_name = getattr(error, "field_name", None) or getattr(error, "label", None)
    if error.type == "row-constraint":
        columns = [f for f in resource.schema.field_names if re.search(rf"\b{f}\b", error.note)]
        return f"{where}, columns {', '.join(columns)}: expected {error.note.split(' is ', 1)[-1]}"
    if error.type == "type-error":
        field = resource.schema.get_field(field_name)
        expected = {"date": "a date like 2013-01-11", "integer": "a whole number"}.get(
            field.type, f"a {field.type}"
        )
        return f"{where}, column {field_name}: expected {expected}, found {error.cell!r}"
    if error.type == "foreign-key":
        columns = ", ".join(error.field_names)
        values = ", ".join(map(repr, error.field_cells))
        table = error.reference_name or path.stem
        return f"{where}, column {columns}: {values} is not in {table}.csv"
    if error.type in {"missing-label", "incorrect-label", "extra-label", "blank-label"}:
        expected = resource.schema.field_names
        return f"{path}: {_header_problem(path, expected)}"
    if error.type == "hash-count":
        return f"{where}: {error.note} (run `malicourse data checksums` after a deliberate edit)"
    if field_name:
        return f"{where}, column {field_name}: {error.note or error.title}"
    return f"{where}: {error.message}"


def _header_problem(path: Path, expected: list[str]) -> str:
    found = pd.read_csv(path, nrows=0).columns.tolist()
    wanted = f"(expected: {', '.join(expected)})"
    if missing := [c for c in expected if c not in found]:
        return f"the column {', '.join(map(repr, missing))} is missing {wanted}"
    if extra := [c for c in found if c not in expected]:
        return f"unexpected column {', '.join(map(repr, extra))} {wanted}"
    return f"columns out of order {wanted}"


def _read_typed(content: bytes, resource: dict) -> pd.DataFrame:
    frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False, na_values=[""])
    for field in resource["schema"]["fields"]:
        name, kind = field["name"], field["type"]
        enum = field.get("constraints", {}).get("enum")
        if kind == "date":
            frame[name] = pd.to_datetime(frame[name], format="%Y-%m-%d")
        elif kind == "integer":
            frame[name] = frame[name].astype("Int64")
        elif kind == "number":
            frame[name] = frame[name].astype(float)
        elif kind == "boolean":
            frame[name] = frame[name].map({"true": True, "false": False}).astype(bool)
        elif enum:
            frame[name] = pd.Categorical(frame[name], categories=enum)
    return frame
