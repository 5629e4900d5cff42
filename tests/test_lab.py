"""`make lab` serves JupyterLab with the course's extensions, without reinstalling anything."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest
from conftest import ROOT

TOKEN = "malicourse-test"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


@pytest.fixture
def lab():
    port = free_port()
    server = subprocess.Popen(
        [
            "make",
            "lab",
            "NO_BROWSER=1",
            f"PORT={port}",
            f"LAB_ARGS=--IdentityProvider.token={TOKEN}",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                status = get_json(f"{base}/api/status?token={TOKEN}")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{server.stdout.read()}")
                time.sleep(0.5)
        yield base, status
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_make_lab_serves_jupyterlab_with_course_extensions(lab):
    base, status = lab
    assert "started" in status
    # The extension manager lists packages by normalised name (no "@", "/" turned to "-").
    extensions = {e["name"]: e for e in get_json(f"{base}/lab/api/extensions?token={TOKEN}")}
    for name in ("jupyter-widgets-jupyterlab-manager", "jupyter-nbgrader"):
        assert extensions.get(name, {}).get("enabled"), f"{name} not enabled: {sorted(extensions)}"
