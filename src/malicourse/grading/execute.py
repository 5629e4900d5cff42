"""nbgrader's execution step, split in two rooms that never share a process.

``IsolatedExecute`` takes the place of nbgrader's ``Execute`` preprocessor:

1. the student's cells run in a kernel inside :mod:`.sandbox`; each test cell is replaced there
   by an export cell (:meth:`.trusted.Plan.export_source`), which sends the values that question
   is graded from through the data-only :mod:`.channel`; the test code never enters the kernel;
2. the trusted runner (:mod:`.trusted`, in this process, which runs no student code) runs the
   hidden tests on those values and writes pass, fail and hint as the test cells' outputs.

nbgrader then scores the notebook from those outputs as usual. On top of nbgrader's own step:
a notebook-wide time limit, caps on output per cell and per notebook, and a kernel that dies no
longer aborts grading (every cell that could not run gets an error output, so it scores zero).
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Any, Enum, Integer, Unicode

from ..notebooks import poll_in_slices
from . import channel, sandbox
from .trusted import Plan

SANDBOX_START_SECONDS = 60  # as nbclient waits for a kernel; a loaded machine needs it
_plans: dict[tuple, Plan] = {}


def plan_for(source: Path) -> Plan:
    """The grading plan of a source notebook, made once per worker (and per version of it)."""
    key = (str(source), source.stat().st_mtime_ns)
    if key not in _plans:
        _plans[key] = Plan.from_source(source)
    return _plans[key]


class IsolatedExecute(Execute):
    notebook_timeout = Integer(600, help="Seconds the whole notebook may run.").tag(config=True)
    max_output_bytes = Integer(1 << 20, help="Output a single cell may produce.").tag(config=True)
    max_notebook_output_bytes = Integer(4 << 20, help="Output the whole notebook may produce.").tag(
        config=True
    )
    uid = Integer(help="User id of the sandbox (when the grader runs as root).").tag(config=True)
    course = Unicode(help="The course folder (its data, lessons and exercises are shown).").tag(
        config=True
    )
    source = Unicode(help="The assignment's folder in solutions/: its tests.").tag(config=True)
    state = Unicode(help="A private folder of this worker for the kernel's files.").tag(config=True)
    data_cache = Unicode(help="The course data's validation cache, shown read-only.").tag(
        config=True
    )
    limits = Any(sandbox.Limits()).tag(config=True)
    # Killing the sandbox ends everything in it at once; a polite shutdown only waits longer.
    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        name = Path(resources["metadata"]["name"] + ".ipynb")
        plan = plan_for(Path(self.source) / name)
        tests = {
            index: cell.metadata["nbgrader"]["grade_id"]
            for index, cell in enumerate(nb.cells)
            if cell.cell_type == "code"
            and cell.metadata.get("nbgrader", {}).get("grade_id") in plan.tests
            and not cell.metadata["nbgrader"].get("solution")
        }
        in_sandbox = copy.deepcopy(nb)
        for index, grade_id in tests.items():
            in_sandbox.cells[index].source = plan.export_source(grade_id)
        self._exports = set(tests)
        # The last resort, for a kernel that ignores interrupts: kill the whole sandbox.
        watchdog = threading.Timer(self.notebook_timeout + 2 * self.timeout, self._kill_sandbox)
        watchdog.start()
        try:
            in_sandbox, resources = super().preprocess(in_sandbox, resources, km)
        finally:
            watchdog.cancel()
        payloads = {
            grade_id: channel.read_payload(in_sandbox.cells[index].outputs)
            for index, grade_id in tests.items()
        }
        answers = Path(resources["metadata"]["path"]) / f"{plan.notebook}.answers.json"
        results = plan.run_tests(payloads, answers if answers.is_file() else None)
        for index, cell in enumerate(nb.cells):
            if index in tests:
                cell.outputs, cell.execution_count = results[tests[index]], None
            elif cell.cell_type == "code":
                cell.outputs = in_sandbox.cells[index].outputs
                cell.execution_count = in_sandbox.cells[index].execution_count
        return nb, resources

    # ---- the kernel, in the sandbox -----------------------------------------------------------

    def create_kernel_manager(self):
        state = Path(self.state)
        shutil.rmtree(state, ignore_errors=True)
        state.mkdir(parents=True)
        connection = state / "kernel.json"
        # The kernel binds its sockets on the sandbox's own tmpfs, at this path inside it.
        self.km = AsyncKernelManager(
            transport="ipc", ip=str(sandbox.KERNEL / "kernel"), connection_file=str(connection)
        )
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        self.km._kernel_spec = KernelSpec(
            argv=sandbox.command(
                kernel,
                uid=self.uid,
                submission=Path(self.resources["metadata"]["path"]),
                connection=connection,
                course=Path(self.course),
                state=state,
                data_cache=Path(self.data_cache) if self.data_cache else None,
                limits=self.limits,
            ),
            display_name="sandboxed Python 3",
            language="python",
            interrupt_mode="message",  # no signal crosses into the sandbox
        )
        return self.km

    async def async_start_new_kernel(self, **kwargs):
        # Start the launcher in this worker's own folder, not in the student's.
        await super().async_start_new_kernel(**{**kwargs, "cwd": self.state})

    start_new_kernel = run_sync(async_start_new_kernel)

    async def async_start_new_kernel_client(self):
        self.km.ip = f"/proc/{await self._sandbox_pid()}/root{sandbox.KERNEL}/kernel"
        # The manager's own control socket (interrupts) was aimed at the old address.
        self.km._close_control_socket()
        self.km._connect_control_socket()
        kc = await super().async_start_new_kernel_client()
        for channel_ in (kc.shell_channel, kc.iopub_channel):
            poll_in_slices(channel_)
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    async def _sandbox_pid(self) -> int:
        record = Path(self.state) / "sandbox.json"
        deadline = time.monotonic() + SANDBOX_START_SECONDS
        while time.monotonic() < deadline:
            if record.is_file():
                return int(json.loads(record.read_text())["pid"])
            if not await self.km.is_alive():
                break
            await asyncio.sleep(0.02)
        raise DeadKernelError("the sandbox did not start (see the kernel log)")

    def _kill_sandbox(self) -> None:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)

    # ---- cells and their output ---------------------------------------------------------------

    def reset_execution_trackers(self) -> None:
        super().reset_execution_trackers()
        self.stopped_because = ""
        self._deadline = time.monotonic() + self.notebook_timeout
        self._output_bytes: dict[int, int] = {}

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, self.resources
        if not self.stopped_because and time.monotonic() > self._deadline:
            self.stopped_because = (
                f"the notebook reached its time limit ({self.notebook_timeout} s)"
            )
        if not self.stopped_because:
            try:
                # An export cell stays out of the kernel's history: `In` never lists it.
                cell = self.execute_cell(cell, index, store_history=index not in self._exports)
                return cell, self.resources
            except DeadKernelError:
                self.stopped_because = "the kernel stopped (crashed, out of memory or killed)"
            except CellTimeoutError:
                self.stopped_because = "a cell ignored the interrupt at its time limit"
                self._kill_sandbox()
        cell.outputs.append(_not_run(self.stopped_because))
        return cell, self.resources

    def output(self, outs, msg, display_id, cell_index):
        size = sum(len(str(value)) for value in msg["content"].values())
        used = self._output_bytes.get(cell_index, 0)
        if cell_index in self._exports:  # room for one payload; a flood of them is dropped
            self._output_bytes[cell_index] = used + size
            if used + size <= 2 * channel.MAX_PAYLOAD_CHARS:
                return super().output(outs, msg, display_id, cell_index)
            return None
        total = sum(n for i, n in self._output_bytes.items() if i not in self._exports)
        self._output_bytes[cell_index] = used + size
        if used + size <= self.max_output_bytes and total + size <= self.max_notebook_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if used <= self.max_output_bytes and total <= self.max_notebook_output_bytes:
            limit = "this cell" if used + size > self.max_output_bytes else "the notebook"
            cap = min(self.max_output_bytes, self.max_notebook_output_bytes)
            note = f"[output cut: {limit} printed more than the grader keeps ({cap} bytes)]\n"
            outs.append(NotebookNode(output_type="stream", name="stdout", text=note))
            self._output_bytes[cell_index] = self.max_output_bytes + 1
        return None


def _not_run(reason: str) -> NotebookNode:
    return NotebookNode(
        output_type="error",
        ename="NotRun",
        evalue=f"This cell did not run: {reason}.",
        traceback=[f"NotRun: this cell did not run: {reason}."],
    )
