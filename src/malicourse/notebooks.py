"""Run a notebook headless, the way the tests, the benchmarks and a grader do.

A failure raises :class:`NotebookError` naming the notebook, the cell and the error,
so a red test says where to look without opening the notebook.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from pathlib import Path
from queue import Empty

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

CELL_TIMEOUT = 120
NOTEBOOK_TIMEOUT = 300
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class NotebookError(Exception):
    """A notebook failed: which one, which cell, and what went wrong."""


@dataclass(frozen=True)
class Execution:
    path: Path
    notebook: nbformat.NotebookNode
    seconds: float


def execute(
    path: Path | str,
    *,
    cell_timeout: int = CELL_TIMEOUT,
    notebook_timeout: int = NOTEBOOK_TIMEOUT,
    kernel_name: str = "python3",
) -> Execution:
    """Run every cell of the notebook at ``path`` in its own folder; raise on the first error."""
    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=cell_timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    try:
        asyncio.run(_run_cells(client, cell_timeout, started + notebook_timeout))
    except _NotebookTimeout as stop:
        raise NotebookError(
            f"{path}: did not finish within {notebook_timeout} s "
            f"(stopped in {_describe(notebook, stop.cell_index)})"
        ) from None
    except CellTimeoutError:
        index = _last_started_cell(notebook)
        raise NotebookError(
            f"{path}: {_describe(notebook, index)} ran longer than {cell_timeout} s"
        ) from None
    except CellExecutionError as exc:
        raise NotebookError(_explain_failure(path, notebook, exc)) from None
    return Execution(path, notebook, time.perf_counter() - started)


def poll_in_slices(channel_, slice_seconds: float = 0.5) -> None:
    """Wait for a kernel message in short polls instead of one long one.

    A long asyncio poll on a ZeroMQ socket can miss the wake-up for a message that has already
    arrived (jupyter/nbclient#312), and then sleeps out the whole cell timeout: about one
    submission in thirty stalled for 30 s while two workers ran. A fresh poll sees the message.
    """
    get_msg = channel_.get_msg

    async def patient_get_msg(timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = slice_seconds if deadline is None else deadline - time.monotonic()
            try:
                return await get_msg(timeout=max(0.0, min(slice_seconds, left)))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    channel_.get_msg = patient_get_msg


class _NotebookTimeout(Exception):
    def __init__(self, cell_index: int):
        self.cell_index = cell_index


async def _run_cells(client: NotebookClient, cell_timeout: int, deadline: float) -> None:
    """nbclient's execute loop, each cell's timeout capped by what is left of the notebook's."""
    async with client.async_setup_kernel():
        for channel in (client.kc.shell_channel, client.kc.iopub_channel):
            poll_in_slices(channel)
        for index, cell in enumerate(client.nb.cells):
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise _NotebookTimeout(index)
            client.timeout = max(1, int(min(cell_timeout, remaining)))
            try:
                await client.async_execute_cell(
                    cell, index, execution_count=client.code_cells_executed + 1
                )
            except CellTimeoutError:
                if client.timeout < cell_timeout:
                    raise _NotebookTimeout(index) from None
                raise


def _explain_failure(path: Path, notebook: nbformat.NotebookNode, exc: CellExecutionError) -> str:
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return (
                    f"{path}: {_describe(notebook, index)} raised {output['ename']}: "
                    f"{_ANSI.sub('', output['evalue'])}"
                )
    return f"{path}: {exc.ename}: {_ANSI.sub('', exc.evalue)}"


def _describe(notebook: nbformat.NotebookNode, index: int | None) -> str:
    if index is None:
        return "before the first cell"
    source = _first_line(notebook.cells[index].source) or "(empty)"
    return f"cell {index + 1} of {len(notebook.cells)} (starts `{source}`)"


def _last_started_cell(notebook: nbformat.NotebookNode) -> int | None:
    started = [i for i, cell in enumerate(notebook.cells) if cell.get("execution_count")]
    return started[-1] if started else None


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:80]
