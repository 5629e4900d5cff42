"""nbgrader's own execution step, with the kernel started inside the sandbox.

``SandboxedExecute`` is nbgrader's ``Execute`` preprocessor with four changes, each a limit that
nbgrader lacks: the kernel runs under :mod:`.sandbox`; a notebook-wide time limit; a cap on
the output a cell may produce; and a kernel that dies (crash, ``os._exit``, out of memory) no
longer aborts grading: every code cell that could not run gets an error output, so its test
scores zero instead of being skipped.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from queue import Empty

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Any, Enum, Integer, Unicode

from . import sandbox


class SandboxedExecute(Execute):
    notebook_timeout = Integer(600, help="Seconds the whole notebook may run.").tag(config=True)
    max_output_bytes = Integer(1 << 20, help="Output a single cell may produce.").tag(config=True)
    uid = Integer(help="User id of the sandbox (when the grader runs as root).").tag(config=True)
    course = Unicode(help="The course folder, shown read-only without solutions.").tag(config=True)
    ipc = Unicode(help="Folder for the kernel's sockets, shared with the sandbox.").tag(config=True)
    hide = Any((), help="Further folders to hide (other students' scratch).").tag(config=True)
    limits = Any(sandbox.Limits()).tag(config=True)
    # Killing the sandbox ends everything in it at once; a polite shutdown only waits longer.
    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate").tag(config=True)

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        for channel in (kc.shell_channel, kc.iopub_channel):
            _poll_in_slices(channel)
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def create_kernel_manager(self):
        ipc = Path(self.ipc)
        ipc.mkdir(parents=True, exist_ok=True)
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        self.km = AsyncKernelManager(
            transport="ipc", ip=str(ipc / "kernel"), connection_file=str(ipc / "kernel.json")
        )
        self.km._kernel_spec = KernelSpec(
            argv=sandbox.command(
                kernel,
                uid=self.uid,
                workdir=Path(self.resources["metadata"]["path"]),
                ipc=ipc,
                course=Path(self.course),
                limits=self.limits,
                hide=tuple(self.hide),
            ),
            display_name="sandboxed Python 3",
            language="python",
        )
        return self.km

    def preprocess(self, nb, resources=None, km=None):
        # The last resort, for a kernel that ignores interrupts: kill the whole sandbox.
        watchdog = threading.Timer(self.notebook_timeout + 2 * self.timeout, self._kill_sandbox)
        watchdog.start()
        try:
            return super().preprocess(nb, resources, km)
        finally:
            watchdog.cancel()

    def _kill_sandbox(self) -> None:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)

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
                return super().preprocess_cell(cell, resources, index)
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
        self._output_bytes[cell_index] = used + size
        if used + size <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if used <= self.max_output_bytes:
            note = f"[output cut: this cell printed more than {self.max_output_bytes} bytes]\n"
            outs.append(NotebookNode(output_type="stream", name="stderr", text=note))
        return None


def _poll_in_slices(channel, slice_seconds: float = 0.5) -> None:
    """Wait for a kernel message in short polls instead of one long one.

    A long asyncio poll on a ZeroMQ socket can miss the wake-up for a message that has already
    arrived (jupyter/nbclient#312), and then sleeps out the whole cell timeout: about one
    submission in thirty stalled for 30 s while two workers ran. A fresh poll sees the message.
    """
    get_msg = channel.get_msg

    async def patient_get_msg(timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = slice_seconds if deadline is None else deadline - time.monotonic()
            try:
                return await get_msg(timeout=max(0.0, min(slice_seconds, left)))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    channel.get_msg = patient_get_msg


def _not_run(reason: str) -> NotebookNode:
    return NotebookNode(
        output_type="error",
        ename="NotRun",
        evalue=f"This cell did not run: {reason}.",
        traceback=[f"NotRun: this cell did not run: {reason}."],
    )
