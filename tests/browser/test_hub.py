"""The classroom loop on one machine, end to end, in Chromium: `malicourse hub`, an instructor
and three students, from release to feedback.

The instructor releases exercise set 01 from the formgrader; three students log in, fetch it
from the assignment list, work (one answers everything, the widget question included, through
JupyterLab; one hands in the blank set; one answers part, written through the Jupyter contents
API in their own session) and submit from the assignment list. The instructor collects
(`nbgrader collect`), grades (`malicourse grade`) and releases the feedback
(`nbgrader release_feedback`); a student fetches it and sees the score and the hints, never
the hidden tests. The wall time of each phase is printed (and written beside the other
browser-test artifacts).

It creates system users (mc-test-*), so it needs root; it removes them afterwards. The accounts
are the machine's, so two test runs on one machine take turns (a lock in the temporary folder).
"""

from __future__ import annotations

import fcntl
import html
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from conftest import ROOT

from malicourse.hub import course_id_of

from .conftest import ARTIFACTS, VENV_BIN
from .lab import SETTINGS, Notebook, block_the_network, expect, free_port, menu

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.slow, pytest.mark.timeout(600)]

SET = "01_intervention"
INSTRUCTOR = "mc-test-instructor"
FULL, BLANK, PARTIAL = (f"mc-test-student-{i}" for i in (1, 2, 3))
STUDENTS = [FULL, BLANK, PARTIAL]
SOLUTION = ROOT / "solutions" / SET / f"{SET}.ipynb"
EXERCISE = ROOT / "exercises" / SET / f"{SET}.ipynb"
RUNUSER = shutil.which("runuser") or "/usr/sbin/runuser"  # util-linux: run a command as a user
HUB_COMMENT = "malicourse hub"  # what `malicourse hub` writes in the accounts it creates
COURSE_ID = course_id_of(ROOT)

# The partial student: questions 1 and 2 right, question 3 wrong (the hidden
# tests catch it and give a hint), question 4 not answered.
WRONG_PRESENT_ON = """def present_on(operations, day):
    return sorted(operations["operation_id"])"""

if os.geteuid() != 0:
    pytest.skip(
        "the hub loop creates system users and starts servers as them: run the tests as root "
        "(CI does)",
        allow_module_level=True,
    )


# -- what the solution notebook says -----------------------------------------------------------


def solution_cells() -> dict[str, dict]:
    notebook = json.loads(SOLUTION.read_text())
    return {c["metadata"]["nbgrader"]["grade_id"]: c for c in notebook["cells"]}


def answer_code(grade_id: str) -> str:
    """The model answer of a code cell, without nbgrader's markers."""
    source = "".join(solution_cells()[grade_id]["source"])
    lines = [line for line in source.splitlines() if "### BEGIN SOLUTION" not in line]
    return "\n".join(line for line in lines if "### END SOLUTION" not in line)


def points() -> dict[str, float]:
    return {
        grade_id: cell["metadata"]["nbgrader"]["points"]
        for grade_id, cell in solution_cells().items()
        if cell["metadata"]["nbgrader"].get("grade") and cell["cell_type"] == "code"
    }


def hidden_test_lines() -> list[str]:
    """Lines of the hidden tests that the student's notebook does not show anyway."""
    visible = EXERCISE.read_text()
    found = []
    for cell in solution_cells().values():
        source = "".join(cell["source"])
        for block in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", source, re.S):
            for line in block.splitlines():
                line = line.strip()
                if len(line) > 12 and json.dumps(line)[1:-1] not in visible:
                    found.append(line)
    assert found, "no hidden tests found in the solution notebook"
    return found


# -- the hub -----------------------------------------------------------------------------------


class Phases:
    def __init__(self):
        self.times: list[tuple[str, float]] = []

    @contextmanager
    def __call__(self, name: str):
        start = time.monotonic()
        yield
        self.times.append((name, time.monotonic() - start))
        print(f"phase {name}: {self.times[-1][1]:.1f} s", flush=True)

    def table(self) -> str:
        rows = [f"{name:64} {seconds:6.1f} s" for name, seconds in self.times]
        total = sum(seconds for _, seconds in self.times)
        return "\n".join([*rows, f"{'total':64} {total:6.1f} s"])


def run_as(user: str, *command: str, cwd: Path, env: dict, check: bool = True):
    result = subprocess.run(
        [RUNUSER, "-u", user, "--", *command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    if check:
        assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result


def remove_leftover_accounts() -> None:
    """Accounts a killed earlier run left behind: only ours (prefix and comment)."""
    for entry in pwd.getpwall():
        if entry.pw_name.startswith("mc-test-") and entry.pw_gecos == HUB_COMMENT:
            stop_processes_of(entry.pw_name)
            subprocess.run(["userdel", "--remove", entry.pw_name], capture_output=True)


def stop_processes_of(user: str) -> None:
    listing = subprocess.run(["ps", "-u", user, "-o", "pid="], capture_output=True, text=True)
    for pid in listing.stdout.split():
        with suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)


class Hub:
    def __init__(self, base: Path, port: int, process: subprocess.Popen, log: Path):
        self.base, self.port, self.process, self.log = base, port, process, log
        self.url = f"http://127.0.0.1:{port}"
        self.state = base / "state"
        self.exchange = base / "exchange"

    @property
    def course(self) -> Path:
        return Path(pwd.getpwnam(INSTRUCTOR).pw_dir) / "course"

    def passwords(self) -> dict[str, str]:
        lines = (self.state / "accounts.txt").read_text().splitlines()
        return dict(line.split(" ", 1) for line in lines if line and not line.startswith("#"))

    def user_env(self, role: str) -> dict[str, str]:
        """What a terminal in this user's server has: the same commands and configuration."""
        settings = json.loads((self.state / "hub.json").read_text())
        return {
            "PATH": f"{Path(settings['python']).parent}:/usr/local/bin:/usr/bin:/bin",
            "JUPYTER_CONFIG_PATH": settings["config_path"][role],
            "LANG": "C.UTF-8",
        }

    def wait_until_up(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/hub/api", timeout=5):
                    return
            except (OSError, urllib.error.URLError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the hub did not start ({self.log}):\n{self.log.read_text()[-3000:]}"
                    ) from None
                time.sleep(0.3)


def quiet_lab_settings(user: str) -> None:
    """The browser tests' JupyterLab settings (no news pop-up, no windowing) in the user's home."""
    entry = pwd.getpwnam(user)
    folder = Path(entry.pw_dir) / ".jupyter" / "lab" / "user-settings"
    for name, values in SETTINGS.items():
        path = folder / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    for path in [Path(entry.pw_dir) / ".jupyter", *(Path(entry.pw_dir) / ".jupyter").rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)


@contextmanager
def machine_wide_turn(name: str):
    """Hold a lock every test run on this machine takes before it touches the mc-test-* accounts."""
    handle = os.open(Path(tempfile.gettempdir()) / name, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # another run's hub test: wait for it to end
        yield
    finally:
        os.close(handle)


@pytest.fixture(scope="module")
def hub():
    with machine_wide_turn("malicourse-hub-test.lock"):
        yield from running_hub()


def running_hub():
    remove_leftover_accounts()  # under the lock, only a killed run's accounts are left
    # Not under /tmp: the grader's sandbox hides /tmp, and the state folder may hold the
    # environment the users' servers and the grader run (state/userenv, see malicourse.hub).
    base = Path(tempfile.mkdtemp(prefix=".hub-test-", dir=ROOT))
    base.chmod(0o755)  # the users' servers read the configuration under state/
    users = base / "users.txt"
    users.write_text(f"{INSTRUCTOR} instructor\n" + "".join(f"{s}\n" for s in STUDENTS))
    port = free_port()
    log = ARTIFACTS / "hub.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(VENV_BIN / "malicourse"), "hub", "--state", str(base / "state"), "--users", str(users),
        "--exchange", str(base / "exchange"), "--port", str(port),
    ]  # fmt: skip
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"}
    with log.open("w") as stream:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=stream, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        started = time.monotonic()
        server = Hub(base, port, process, log)
        server.wait_until_up()
        server.startup = time.monotonic() - started
        for user in [INSTRUCTOR, *STUDENTS]:
            quiet_lab_settings(user)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # the hub stops every server and the proxy
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        for user in [INSTRUCTOR, *STUDENTS]:
            stop_processes_of(user)
        subprocess.run(
            [str(VENV_BIN / "malicourse"), "hub", "--state", str(base / "state"),
             "--remove-accounts"],
            capture_output=True,
        )  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)


# -- a user in the browser -----------------------------------------------------------------------


class UserServer:
    """What lab.Notebook needs from a server: the address that opens a file."""

    def __init__(self, hub: Hub, user: str):
        self.base = f"{hub.url}/user/{user}"
        self.root = Path(pwd.getpwnam(user).pw_dir)

    def url(self, path: Path) -> str:
        return f"{self.base}/lab/tree/{path.relative_to(self.root).as_posix()}?reset"


OPEN_PAGES: dict = {}  # by user: photographed when the test fails


def log_in(chromium, hub: Hub, user: str):
    """A fresh browser context logged in as user, on their JupyterLab (started if needed)."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    OPEN_PAGES[user] = page
    block_the_network(page)
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", hub.passwords()[user])
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{user}/lab"), timeout=120_000)
    expect(page.locator(".jp-LauncherCard").first).to_be_visible(timeout=120_000)
    return context, page


def nbgrader_menu_items(page) -> list[str]:
    page.get_by_role("menuitem", name="Nbgrader", exact=True).click()
    items = page.locator(".lm-Menu-content .lm-Menu-item:visible .lm-Menu-itemLabel")
    labels = [t.strip() for t in items.all_text_contents() if t.strip()]
    page.keyboard.press("Escape")
    return labels


def open_assignment_list(page) -> None:
    menu(page, "Nbgrader", "Assignment List")
    expect(page.locator("#released_assignments_list")).to_be_visible(timeout=30_000)


def assignment_row(page, section: str):
    return page.locator(f"#{section}_assignments_list .list_item", has_text=SET).first


def fetch_in_assignment_list(page) -> None:
    open_assignment_list(page)
    row = assignment_row(page, "released")
    row.get_by_role("button", name="Fetch").click(timeout=30_000)
    expect(assignment_row(page, "fetched")).to_be_visible(timeout=30_000)


def submit_in_assignment_list(page) -> None:
    open_assignment_list(page)
    row = assignment_row(page, "fetched")
    row.get_by_role("button", name="Submit").click(timeout=30_000)
    expect(assignment_row(page, "submitted")).to_be_visible(timeout=30_000)


def xsrf_headers(context) -> dict[str, str]:
    token = next(c["value"] for c in context.cookies() if c["name"] == "_xsrf")
    return {"X-XSRFToken": token, "Content-Type": "application/json"}


def write_cells_through_the_api(context, page, hub: Hub, user: str, answers: dict) -> None:
    """Replace answer cells (by grade id) through the Jupyter contents API, as the student."""
    url = f"{hub.url}/user/{user}/api/contents/{SET}/{SET}.ipynb"
    response = page.request.get(url, headers=xsrf_headers(context))
    assert response.ok, response.text()
    model = response.json()
    for cell in model["content"]["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    body = {"type": "notebook", "format": "json", "content": model["content"]}
    response = page.request.put(url, data=json.dumps(body), headers=xsrf_headers(context))
    assert response.ok, response.text()


# -- the loop --------------------------------------------------------------------------------


def test_release_work_submit_grade_feedback_through_the_hub(hub, chromium):
    try:
        the_loop(hub, chromium)
    except BaseException:
        for user, page in OPEN_PAGES.items():
            try:
                page.screenshot(path=ARTIFACTS / f"hub-failed-{user}.png", full_page=True)
            except Exception as problem:  # a closed page: no picture
                print(f"no screenshot for {user}: {problem}")
        keep = ARTIFACTS / "hub-course"  # what the instructor's course folder held
        shutil.rmtree(keep, ignore_errors=True)
        if hub.course.is_dir():
            shutil.copytree(hub.course, keep, ignore=shutil.ignore_patterns("solutions"))
        raise


def the_loop(hub, chromium):
    phases = Phases()
    phases.times.append(("hub: accounts, proxy, environment, start", hub.startup))
    print(f"phase hub start: {hub.startup:.1f} s", flush=True)
    # The idle culler runs as a hub service and has asked the hub about the users.
    log = hub.log.read_text()
    assert "Starting service 'idle-culler'" in log
    assert re.search(r"GET /hub/api/users.*\(idle-culler@", log), log[-2000:]
    value = points()
    expected = {
        FULL: sum(value.values()),
        BLANK: 0.0,
        PARTIAL: value["q1-check"] + value["q2-check"],
    }

    # The instructor releases set 01 from the formgrader.
    with phases("instructor: log in, server starts"):
        context, page = log_in(chromium, hub, INSTRUCTOR)
    with phases("instructor: generate and release set 01 in the formgrader"):
        assert {"Formgrader", "Create assignment"} <= set(nbgrader_menu_items(page))
        # In its own tab, as nbgrader documents for JupyterHub >= 4.1: the hub forbids framing
        # a user's server (frame-ancestors 'none'), so JupyterLab's Formgrader panel stays blank.
        page.goto(f"{hub.url}/user/{INSTRUCTOR}/formgrader")
        grader = page
        row = grader.locator("#main-table tr", has=grader.locator("td.name", has_text=SET))
        row.locator("td.assign a").click(timeout=60_000)
        close_modal(grader, "Successfully created the student version")
        expect(row.locator("td.release a")).to_be_visible(timeout=30_000)
        row.locator("td.release a").click()
        close_modal(grader, "Successfully released")
        expect(row.locator("td.status")).to_have_text("released", timeout=30_000)
        page.screenshot(path=ARTIFACTS / "hub-formgrader-released.png")
    context.close()
    assert (hub.exchange / COURSE_ID / "outbound" / SET / f"{SET}.ipynb").is_file()

    # Three students fetch, work and submit.
    feedback_page = None
    for student in STUDENTS:
        with phases(f"{student}: log in, server starts"):
            context, page = log_in(chromium, hub, student)
            assert nbgrader_menu_items(page) == ["Assignment List"]
            # ... and their server has no formgrader behind the menu either.
            assert page.request.get(f"{hub.url}/user/{student}/formgrader").status == 404
        with phases(f"{student}: fetch in the assignment list"):
            fetch_in_assignment_list(page)
        notebook_path = Path(pwd.getpwnam(student).pw_dir) / SET / f"{SET}.ipynb"
        assert notebook_path.is_file()
        if student == FULL:
            with phases(f"{student}: answer everything in JupyterLab"):
                answer_everything(page, UserServer(hub, student), notebook_path)
        elif student == PARTIAL:
            with phases(f"{student}: write some answers through the contents API"):
                write_cells_through_the_api(
                    context, page, hub, student,
                    {"q1-answer": answer_code("q1-answer"), "q2-answer": answer_code("q2-answer"),
                     "q3-answer": WRONG_PRESENT_ON},
                )  # fmt: skip
        with phases(f"{student}: submit in the assignment list"):
            submit_in_assignment_list(page)
        if student == PARTIAL:
            feedback_page = (context, page)
        else:
            context.close()
    inbound = list((hub.exchange / COURSE_ID / "inbound").iterdir())
    assert sorted(p.name.split("+")[0] for p in inbound) == sorted(STUDENTS)

    # A student cannot read the instructor's course folder (solutions, gradebook).
    peek = run_as(FULL, "cat", str(hub.course / "solutions" / SET / f"{SET}.ipynb"),
                  cwd=Path("/"), env=hub.user_env("student"), check=False)  # fmt: skip
    assert peek.returncode != 0 and "BEGIN HIDDEN TESTS" not in peek.stdout

    # The instructor collects, grades and releases the feedback, in the course folder.
    instructor_env = hub.user_env("instructor")
    with phases("instructor: nbgrader collect"):
        run_as(INSTRUCTOR, "nbgrader", "collect", SET, cwd=hub.course, env=instructor_env)
    for student in STUDENTS:
        assert (hub.course / "submitted" / student / SET / f"{SET}.ipynb").is_file()
    assert (hub.course / "submitted" / FULL / SET / f"{SET}.answers.json").is_file()
    with phases("instructor: malicourse grade (autograde and feedback)"):
        graded = run_as(
            INSTRUCTOR, "malicourse", "grade", SET, "--course", str(hub.course), "--jobs", "2",
            cwd=hub.course, env=instructor_env, check=False,
        )  # fmt: skip
        (ARTIFACTS / "hub-grade.log").write_text(graded.stdout + graded.stderr)
        assert graded.returncode == 0, graded.stdout + graded.stderr
    assert scores_in_gradebook(hub, instructor_env) == expected
    with phases("instructor: nbgrader release_feedback"):
        run_as(INSTRUCTOR, "nbgrader", "release_feedback", SET, cwd=hub.course,
               env=instructor_env)  # fmt: skip

    # The partial student fetches the feedback: score and hints, no hidden tests.
    context, page = feedback_page
    with phases(f"{PARTIAL}: fetch and open the feedback"):
        page.reload()
        open_assignment_list(page)
        row = assignment_row(page, "submitted")
        row.get_by_role("button", name="Fetch Feedback").click(timeout=30_000)
        expect(page.locator("#submitted_assignments_list")).to_contain_text(
            "view feedback", timeout=30_000
        )
        home = Path(pwd.getpwnam(PARTIAL).pw_dir)
        feedback_files = sorted((home / SET / "feedback").rglob(f"{SET}.html"))
        assert feedback_files, "no feedback was fetched"
        relative = feedback_files[-1].relative_to(home).as_posix()
        page.goto(f"{hub.url}/user/{PARTIAL}/files/{relative}")
        text = page.locator("body").inner_text()
        page.screenshot(path=ARTIFACTS / "hub-feedback.png", full_page=True)
    context.close()
    raw = html.unescape(feedback_files[-1].read_text())
    total = sum(value.values()) + manual_points()
    assert re.search(rf"Score:?\s*{expected[PARTIAL]:g}(\.0+)?\s*/\s*{total:g}", text), text[:2000]
    assert "check the boundaries" in text  # the hint of question 3's hidden test
    leaked = [line for line in hidden_test_lines() if line in raw or line in text]
    assert not leaked, f"the feedback shows hidden-test code: {leaked}"

    table = phases.table()
    print("\n" + table)
    (ARTIFACTS / "hub-phases.txt").write_text(table + "\n")


def close_modal(grader, success: str) -> None:
    """The formgrader's answer to a button: a success or an error dialog. Close it."""
    modal = grader.locator("#success-modal, #error-modal")
    expect(modal).to_be_visible(timeout=60_000)
    expect(modal).to_contain_text(success, timeout=1_000)
    modal.locator(".modal-footer button").click()
    expect(modal).to_have_count(0, timeout=10_000)


def manual_points() -> float:
    return sum(
        c["metadata"]["nbgrader"]["points"]
        for c in solution_cells().values()
        if c["metadata"]["nbgrader"].get("grade") and c["cell_type"] == "markdown"
    )


def answer_everything(page, server: UserServer, path: Path) -> None:
    """Type the model answers, run everything, answer the widget question, save."""
    notebook = Notebook(page, server, path).open()
    cells = solution_cells()
    order = [c["metadata"]["nbgrader"]["grade_id"] for c in cells.values()]
    for grade_id in ("q1-answer", "q2-answer", "q3-answer"):
        notebook.type_code(order.index(grade_id), answer_code(grade_id))
    notebook.run_all()  # stops at question 4's check: nothing submitted yet
    answer = json.loads((ROOT / "solutions" / SET / "answer_key.json").read_text())
    year = answer["q4_minusma_above_10000"]["answer"]
    box = notebook.cell_with_code("widgets.AnswerBox(")
    expect(box.locator("select")).to_be_visible(timeout=60_000)
    box.locator("select").select_option(label=year)
    box.get_by_role("button", name="Submit").click()
    expect(box.locator(".widget-html-content")).to_contain_text(f"Submitted: {year}")
    # Run everything again: the answer box shows the saved answer and every check passes.
    notebook.assert_ran_cleanly(notebook.run_all())
    notebook.save()
    saved = json.loads((path.parent / f"{SET}.answers.json").read_text())
    assert saved["q4_minusma_above_10000"]["answer"] == year


def scores_in_gradebook(hub: Hub, env: dict) -> dict[str, float]:
    """Each student's score, as nbgrader's gradebook records it."""
    script = (
        "import json\n"
        "from nbgrader.api import Gradebook\n"
        f"with Gradebook('sqlite:///{hub.course}/gradebook.db') as gb:\n"
        f"    scores = {{s: gb.find_submission({SET!r}, s).score for s in {STUDENTS!r}}}\n"
        "print(json.dumps(scores))\n"
    )
    python = Path(env["PATH"].split(":")[0]) / "python"
    result = run_as(INSTRUCTOR, str(python), "-c", script, cwd=hub.course, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])
