"""A JupyterLab server in a subprocess, and a notebook as a student sees it in Chromium.

Selectors are JupyterLab 4.6's own class names; the ones that matter are named here once.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture fails every browser test and says what to install
    expect = PlaywrightTimeout = None

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

TOKEN = "malicourse-browser-test"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
LOCAL = ("http://127.0.0.1", "http://localhost", "data:", "blob:")

# A quiet, predictable front end: no news pop-up, no autosave (a lesson run in the browser must
# never write its outputs into the committed notebook), and every cell kept in the page (no
# windowing), so that all outputs can be checked and photographed.
SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}

KERNEL_IDLE = '.jp-Notebook-ExecutionIndicator[data-status="idle"]'
CODE_PROMPTS = ".jp-Notebook .jp-CodeCell .jp-InputArea-prompt"
# JupyterLab renders both error outputs and stderr streams with this MIME type.
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
WIDGET_ERRORS = (
    ".jupyter-widgets-error-widget, .jupyter-widgets:has-text('Error displaying widget')"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_options(home: Path) -> list[str]:
    """Command-line options that give a server its own settings and workspaces under home."""
    settings = home / "settings"
    for name, values in SETTINGS.items():
        path = settings / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return [
        f"--IdentityProvider.token={TOKEN}",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
    ]


def server_env(home: Path, venv_bin: Path) -> dict[str, str]:
    # The venv's bin/ on PATH: nbgrader runs `alembic` from it. An empty config dir: a
    # developer's own ~/.jupyter settings (a password, another root) must not change the test.
    (home / "config").mkdir(exist_ok=True)
    return {
        **os.environ,
        "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
        "JUPYTER_CONFIG_DIR": str(home / "config"),
    }


class Server:
    """A JupyterLab process (its own process group), reached on 127.0.0.1 with a token."""

    def __init__(self, command: list[str], cwd: Path, env: dict, port: int, log: Path):
        self.base = f"http://127.0.0.1:{port}"
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as stream:
            self.process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdout=stream,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.root: Path | None = None

    def wait_until_up(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.api("GET", "/api/status")
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    tail = self.log.read_text()[-3000:]
                    raise RuntimeError(f"JupyterLab did not start ({self.log}):\n{tail}") from None
                time.sleep(0.3)

    def api(self, method: str, path: str):
        separator = "&" if "?" in path else "?"
        request = urllib.request.Request(
            f"{self.base}{path}{separator}token={TOKEN}", method=method
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def exists(self, relative: str) -> bool:
        try:
            self.api("GET", f"/api/contents/{relative}?content=0")
            return True
        except urllib.error.HTTPError:
            return False

    def url(self, path: Path) -> str:
        """The JupyterLab address that opens path, a file inside the server's root."""
        assert self.root is not None
        if not path.resolve().is_relative_to(self.root):
            raise AssertionError(
                f"{path} is outside the folder JupyterLab serves ({self.root}): "
                "a student could not open it from the file browser"
            )
        relative = path.resolve().relative_to(self.root).as_posix()
        return f"{self.base}/lab/tree/{relative}?token={TOKEN}&reset"

    def shutdown_kernels(self) -> None:
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@contextmanager
def no_new_checkpoint(notebook: Path):
    """JupyterLab checkpoints a notebook when it opens it: remove what the test added."""
    folder = notebook.parent / ".ipynb_checkpoints"
    checkpoint = folder / f"{notebook.stem}-checkpoint{notebook.suffix}"
    existed = checkpoint.exists()
    try:
        yield
    finally:
        if not existed:
            checkpoint.unlink(missing_ok=True)
            with suppress(OSError):  # left alone while it holds other checkpoints
                folder.rmdir()


def block_the_network(page: Page) -> None:
    """Only the local server answers: nothing may wait on (or leak to) the internet."""
    page.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(LOCAL) else route.abort(),
    )


def menu(page: Page, top: str, item: str) -> None:
    """Click the enabled entry labelled item in JupyterLab's menu top."""
    page.get_by_role("menuitem", name=top, exact=True).click()
    label = page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$"))
    page.locator(".lm-Menu-item:not(.lm-mod-disabled)").filter(has=label).click()


class Notebook:
    """One notebook open in JupyterLab, driven the way a student drives it."""

    def __init__(self, page: Page, server: Server, path: Path):
        self.page, self.server, self.path = page, server, path

    def open(self) -> Notebook:
        self.page.goto(self.server.url(self.path))
        expect(self.page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first).to_be_visible(
            timeout=60_000
        )
        self.wait_for_kernel()
        return self

    def wait_for_kernel(self, timeout: float = 60_000) -> None:
        """Until the notebook's kernel is connected and idle.

        The toolbar's execution indicator says "idle" before any kernel is attached, and Run All
        then skips every cell without a word; the status bar names the kernel once it is there.
        """
        status = self.page.get_by_title(f"Change kernel for {self.path.name}")
        expect(status).to_have_text(re.compile(r"^(?!No Kernel).* \| Idle$"), timeout=timeout)
        expect(self.page.locator(KERNEL_IDLE)).to_be_visible(timeout=timeout)

    # -- cells ----------------------------------------------------------------------------

    @property
    def cells(self) -> Locator:
        return self.page.locator(".jp-Notebook .jp-Cell")

    def cell_with_code(self, code: str) -> Locator:
        """The code cell whose source contains code."""
        cell = self.page.locator(".jp-CodeCell").filter(
            has=self.page.locator(".jp-InputArea", has_text=code)
        )
        expect(cell).to_have_count(1)
        return cell

    def prompts(self) -> list[str]:
        return [p.strip() for p in self.page.locator(CODE_PROMPTS).all_text_contents()]

    def type_code(self, index: int, code: str) -> None:
        """Replace the source of cell index by code, typed into its editor."""
        editor = self.cells.nth(index).locator(".cm-content")
        editor.click()
        self.page.keyboard.press("ControlOrMeta+a")
        # insert_text, not key presses: no auto-closed brackets or auto-indent in the way.
        self.page.keyboard.insert_text(code)
        expect(editor).to_have_text(code.replace("\n", ""))

    # -- running ----------------------------------------------------------------------------

    def run_all(self, timeout: float = 120_000) -> list[str]:
        """Run > Run All Cells; wait until nothing is queued. Returns the code cells' prompts.

        JupyterLab marks every queued cell [*] at once, numbers each when it has run and, when
        a cell fails, clears the rest to [ ]. So the run is over when no [*] is left and the
        first cell has a number it did not have before.
        """
        before = self.prompts()[0]
        self.wait_for_kernel()
        for _ in range(2):  # a click that found no current notebook starts nothing: again
            # The command acts on the current notebook: make sure it has the focus.
            self.cells.first.click()
            menu(self.page, "Run", "Run All Cells")
            try:
                self.page.wait_for_function(
                    """([selector, before]) => {
                        const prompts = Array.from(document.querySelectorAll(selector),
                                                   e => e.textContent.trim());
                        return prompts.includes('[*]:') || prompts[0] !== before;
                    }""",
                    arg=[CODE_PROMPTS, before],
                    timeout=10_000,
                )
                break
            except PlaywrightTimeout:
                continue
        try:
            self.page.wait_for_function(
                """([selector, before]) => {
                    const prompts = Array.from(document.querySelectorAll(selector),
                                               e => e.textContent.trim());
                    return prompts.length > 0 && !prompts.includes('[*]:')
                        && /^\\[\\d+\\]:$/.test(prompts[0]) && prompts[0] !== before;
                }""",
                arg=[CODE_PROMPTS, before],
                timeout=timeout,
            )
        except PlaywrightTimeout:
            status = self.page.locator(".jp-Notebook-ExecutionIndicator").get_attribute(
                "data-status"
            )
            raise AssertionError(
                f"{self.path.name}: Run All did not finish in {timeout / 1000:.0f} s; "
                f"kernel {status}; prompts {self.prompts()}; errors {self.errors()}"
            ) from None
        self.wait_for_kernel(timeout)
        return self.prompts()

    def errors(self) -> list[str]:
        """Text of every error or stderr output, and of every widget that failed to render."""
        shown = self.page.locator(STDERR).all_text_contents()
        return shown + self.page.locator(WIDGET_ERRORS).all_text_contents()

    def assert_ran_cleanly(self, prompts: list[str]) -> None:
        not_run = [i for i, p in enumerate(prompts) if not re.fullmatch(r"\[\d+\]:", p)]
        errors = self.errors()
        assert not errors, f"{self.path.name}: outputs show errors:\n" + "\n---\n".join(errors)
        assert not not_run, f"{self.path.name}: code cells {not_run} did not run: {prompts}"

    def restart_kernel(self) -> None:
        menu(self.page, "Kernel", "Restart Kernel…")
        dialog = self.page.locator(".jp-Dialog")
        dialog.locator("button.jp-mod-accept", has_text="Restart").click()
        expect(dialog).to_have_count(0)
        self.wait_for_kernel()

    def save(self) -> None:
        self.cells.first.click()
        menu(self.page, "File", "Save Notebook")
        expect(self.page.locator(".lm-TabBar-tab.jp-mod-dirty")).to_have_count(0)

    def close(self) -> None:
        tab = self.page.locator(".jp-mod-current.lm-TabBar-tab", has_text=self.path.name)
        tab.locator(".lm-TabBar-tabCloseIcon").click()
        expect(self.page.locator(".jp-NotebookPanel")).to_have_count(0)

    # -- pictures ------------------------------------------------------------------------------

    def screenshot(self, path: Path) -> None:
        """The whole notebook in one picture: the window grows to the notebook's height."""
        path.parent.mkdir(parents=True, exist_ok=True)
        scroller = self.page.locator(".jp-NotebookPanel .jp-WindowedPanel-outer").first
        hidden = scroller.evaluate("e => e.scrollHeight - e.clientHeight")
        size = self.page.viewport_size
        self.page.set_viewport_size(
            {"width": size["width"], "height": min(size["height"] + hidden, 30_000)}
        )
        try:
            scroller.evaluate("e => e.scrollTo(0, 0)")
            self.page.screenshot(path=path)
        finally:
            self.page.set_viewport_size(size)
