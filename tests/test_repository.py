"""House rules: clean notebooks, lint-free code, a CI script that runs the README's command."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT

TRACKED_NOTEBOOKS = sorted(
    p
    for folder in ("notebooks", "solutions", "exercises")
    for p in (ROOT / folder).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)


@pytest.mark.parametrize("path", TRACKED_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_committed_without_outputs_or_widget_state(path):
    notebook = json.loads(path.read_text())
    assert "widgets" not in notebook.get("metadata", {}), f"{path.name}: widget state in metadata"
    for index, cell in enumerate(notebook["cells"], start=1):
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{path.name}: cell {index} has outputs"
            assert cell.get("execution_count") is None, (
                f"{path.name}: cell {index} has an execution count"
            )


def test_ruff_lint():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert "make test" in commands
    assert "make test" in readme
    assert [c for c in commands if c and not c.startswith(("#", "set ", "cd "))] == ["make test"]
