"""Fixtures for the browser tests: one `make lab` server per test worker, a Chromium per test.

Every browser test carries `xdist_group("browser")`, so that `pytest -n auto --dist loadgroup`
runs them all in one worker, one after the other, against one server. Should they be spread
over several workers anyway, each worker starts its own server and browser: slower, still right.
"""

import os
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from .lab import CHROMIUM, Server, block_the_network, free_port, lab_options, server_env

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # the chromium fixture fails every browser test and says what to install
    sync_playwright = None

ARTIFACTS = ROOT / "test-artifacts" / "browser"
VENV_BIN = Path(sys.executable).parent


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """JupyterLab started with the README's command, `make lab`, on a free port."""
    home = tmp_path_factory.mktemp("lab")
    port = free_port()
    command = [
        "make",
        "lab",
        "NO_BROWSER=1",
        f"PORT={port}",
        "LAB_ARGS=" + " ".join(lab_options(home)),
    ]
    log = ARTIFACTS / f"lab-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log"
    server = Server(command, ROOT, server_env(home, VENV_BIN), port, log)
    try:
        server.wait_until_up()
        # `make lab` opens notebooks/00_start_here.ipynb; where is the root it serves?
        for candidate in (ROOT, ROOT / "notebooks"):
            start = (ROOT / "notebooks" / "00_start_here.ipynb").relative_to(candidate)
            if server.exists(start.as_posix()):
                server.root = candidate
                break
        else:
            pytest.fail(f"`make lab` does not serve notebooks/00_start_here.ipynb ({server.log})")
        yield server
    finally:
        server.stop()


@pytest.fixture
def chromium():
    # Per test, not per session: while Playwright's sync API is open, its event loop counts as
    # running in this thread, and the notebook tests that share the worker need asyncio.run().
    if sync_playwright is None:
        pytest.fail("Playwright is not installed: run `make setup-test` (requirements-test.txt)")
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: `make setup-test` installs it "
            "(apt-get install chromium), or set CHROMIUM=/path/to/chromium"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser tab that only reaches the local servers."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    block_the_network(tab)
    yield tab
    context.close()


@pytest.fixture
def lab_page(lab, page, request):
    """A tab on the `make lab` server; afterwards every kernel it started is shut down."""
    yield page
    tidy_up(request, page, lab)


def tidy_up(request, page, server):
    """After a test: a picture of the page if it failed, then shut its kernels down."""
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        try:
            page.screenshot(path=ARTIFACTS / f"failed-{request.node.name}.png")
        except Exception as problem:  # the picture is a help, never the failure itself
            print(f"no screenshot of the failure: {problem}")
    server.shutdown_kernels()
