"""The environment check: what is wrong, in plain words, and how to fix it.

Notebook 00 and ``malicourse doctor`` run the same checks. Each check returns findings;
none of them raises, so one broken piece never hides the others.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

REINSTALL = "run `make setup` in the course folder (or `pip install -r requirements.txt`)"

# JupyterLab front-end extensions the course needs, with what breaks without them.
LAB_EXTENSIONS = {
    "@jupyter-widgets/jupyterlab-manager": "sliders and other controls will not appear",
    "@jupyter/nbgrader": "the assignment and validation tools will not appear",
}


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str
    fix: str = ""

    def __str__(self) -> str:
        mark = "OK     " if self.ok else "PROBLEM"
        return f"{mark} {self.what}" + ("" if self.ok else f"\n        fix: {self.fix}")


def required_versions() -> dict[str, str]:
    """The pinned versions, from the installed package's metadata (itself from requirements.txt)."""
    pins = {}
    for line in metadata.requires("malicourse") or []:
        requirement = Requirement(line)
        versions = [spec.version for spec in requirement.specifier if spec.operator == "=="]
        if versions and not requirement.marker:
            pins[requirement.name] = versions[0]
    return pins


def check_python(version: tuple[int, int] = sys.version_info[:2]) -> list[Finding]:
    text = f"Python {version[0]}.{version[1]}"
    if version >= (3, 11):
        return [Finding(True, text)]
    return [
        Finding(False, f"{text} is too old: the course needs 3.11 or newer", "install Python 3.11+")
    ]


def check_packages(
    required: dict[str, str],
    installed_version: Callable[[str], str] = metadata.version,
) -> list[Finding]:
    findings = []
    for name, wanted in sorted(required.items()):
        try:
            found = installed_version(name)
        except metadata.PackageNotFoundError:
            findings.append(
                Finding(False, f"{name} is not installed (the course needs {wanted})", REINSTALL)
            )
            continue
        if found == wanted:
            findings.append(Finding(True, f"{name} {found}"))
        else:
            findings.append(
                Finding(
                    False,
                    f"{name} {found} is installed, but the course is tested with {wanted}",
                    REINSTALL,
                )
            )
    return findings


def check_lab_extensions(
    data_dirs: Iterable[Path] | None = None, config_dirs: Iterable[Path] | None = None
) -> list[Finding]:
    from jupyter_core.paths import jupyter_config_path, jupyter_path

    data_dirs = [
        Path(p) for p in (data_dirs if data_dirs is not None else jupyter_path("labextensions"))
    ]
    config_dirs = [
        Path(p) for p in (config_dirs if config_dirs is not None else jupyter_config_path())
    ]
    disabled = _disabled_lab_extensions(config_dirs)
    findings = []
    for name, consequence in LAB_EXTENSIONS.items():
        if not any((folder / name / "package.json").is_file() for folder in data_dirs):
            findings.append(
                Finding(False, f"JupyterLab extension {name} is missing: {consequence}", REINSTALL)
            )
        elif disabled.get(name):
            findings.append(
                Finding(
                    False,
                    f"JupyterLab extension {name} is disabled: {consequence}",
                    f"run `jupyter labextension enable {name}`",
                )
            )
        else:
            findings.append(Finding(True, f"JupyterLab extension {name} enabled"))
    return findings


def _disabled_lab_extensions(config_dirs: Iterable[Path]) -> dict[str, bool]:
    disabled: dict[str, bool] = {}
    for folder in config_dirs:
        page_config = folder / "labconfig" / "page_config.json"
        if page_config.is_file():
            try:
                listed = json.loads(page_config.read_text()).get("disabledExtensions", {})
            except (OSError, ValueError):
                continue
            if isinstance(listed, list):
                listed = dict.fromkeys(listed, True)
            disabled.update(listed)
    return disabled


def check_course_files(root: Path) -> list[Finding]:
    missing = [name for name in ("notebooks", "data") if not (root / name).is_dir()]
    if missing:
        return [
            Finding(
                False,
                f"the course folder {root} has no {' or '.join(missing)}/",
                "start Jupyter from the course folder, or set MALICOURSE_ROOT to it",
            )
        ]
    return [Finding(True, f"course files found in {root}")]


def run_checks(root: Path | None = None) -> list[Finding]:
    from .course import course_root

    findings = check_python()
    try:
        findings += check_packages(required_versions())
    except metadata.PackageNotFoundError:
        findings.append(Finding(False, "the course package malicourse is not installed", REINSTALL))
    findings += check_lab_extensions()
    findings += check_course_files(root or course_root())
    return findings


def report(findings: list[Finding]) -> str:
    problems = [f for f in findings if not f.ok]
    verdict = (
        "Your environment is ready for the course."
        if not problems
        else f"{len(problems)} problem(s) found: fix them in order, then run the check again."
    )
    return "\n".join([*map(str, findings), "", verdict])


def widget_check():
    """A slider that answers back: if it draws and replies, widgets work in this front end."""
    import ipywidgets as widgets

    slider = widgets.IntSlider(value=0, min=0, max=10, description="Try me:")
    reply = widgets.Label("Move the slider (mouse, or click it and use the arrow keys).")

    def answer(change):
        reply.value = f"Widgets work: the kernel received {change['new']}."

    slider.observe(answer, names="value")
    return widgets.VBox([slider, reply])
