"""`malicourse hub`: the configuration it writes, without starting anything.

The whole classroom loop in a real browser is tests/browser/test_hub.py (root only).
"""

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from malicourse import hub
from malicourse.release import INSTRUCTOR_LAB_PLUGINS, INSTRUCTOR_SERVER_EXTENSIONS


@pytest.fixture
def options(tmp_path):
    return hub.HubOptions(
        state=tmp_path / "state",
        students=hub.student_names(3),
        instructor="mc-instructor",
        port=8123,
        exchange=tmp_path / "exchange",
        course=tmp_path / "course",
        course_id="mali-2012-2025",
        idle_timeout=1800,
        python=Path(sys.executable),
    )


def test_student_names_and_user_files(tmp_path):
    assert hub.student_names(3) == ["mc-student-1", "mc-student-2", "mc-student-3"]
    users = tmp_path / "users.txt"
    users.write_text("# my class\nteacher instructor\nawa\n\nbakary  # second\n")
    assert hub.read_users(users) == ("teacher", ["awa", "bakary"])
    for bad in ("Awa\n", "a+b\n", "awa teacher\n", "1awa\n"):
        users.write_text(bad)
        with pytest.raises(ValueError, match=r"users\.txt:1"):
            hub.read_users(users)


def test_the_course_id_is_read_from_the_course_config(root):
    assert hub.course_id_of(root) == "mali-2012-2025"


def test_secrets_and_passwords_are_private(tmp_path):
    token = hub.secret_file(tmp_path / "proxy_token")
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    assert hub.secret_file(tmp_path / "proxy_token") == token  # a second run reuses it
    path = hub.save_accounts(tmp_path, {"mc-student-1": "pw-one", "mc-instructor": "pw-two"})
    for secret in (path, tmp_path / "proxy_token"):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert hub.load_accounts(tmp_path) == {"mc-student-1": "pw-one", "mc-instructor": "pw-two"}


def test_student_config_has_the_course_and_exchange_and_hides_instructor_tools(options):
    folders = hub.write_role_configs(options)
    student = folders["student"]
    config = PyFileConfigLoader("nbgrader_config.py", path=str(student)).load_config()
    assert config.CourseDirectory.course_id == "mali-2012-2025"
    assert config.Exchange.root == str(options.exchange)
    assert "root" not in config.CourseDirectory  # students have no course folder
    page = json.loads((student / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"] == dict.fromkeys(INSTRUCTOR_LAB_PLUGINS, True)
    drop_in = student / "jupyter_server_config.d" / "zz-malicourse-student.json"
    switches = json.loads(drop_in.read_text())["ServerApp"]["jpserver_extensions"]
    assert switches == dict.fromkeys(INSTRUCTOR_SERVER_EXTENSIONS, False)
    # Every user's server reads these files.
    for path in [student, *student.rglob("*")]:
        assert path.stat().st_mode & stat.S_IROTH


def test_instructor_config_points_at_the_course_folder(options, root):
    options.course.mkdir()
    (options.course / "nbgrader_config.py").write_text((root / "nbgrader_config.py").read_text())
    folder = hub.write_role_configs(options)["instructor"]
    config = PyFileConfigLoader("nbgrader_config.py", path=str(folder)).load_config()
    assert config.CourseDirectory.root == str(options.course)
    assert config.CourseDirectory.course_id == "mali-2012-2025"
    assert config.Exchange.root == str(options.exchange)
    # The course's own settings come along (source and release folders, feedback without
    # hidden tests).
    assert config.CourseDirectory.source_directory == "solutions"
    assert "nbgrader.preprocessors.ClearHiddenTests" in config.GenerateFeedback.preprocessors


def test_student_jupyterlab_really_loses_the_instructor_extensions(options):
    """What JupyterLab reports when run with the student's configuration path.

    (`jupyter server extension list` ignores JUPYTER_CONFIG_PATH; the browser test checks that
    a student's server has no formgrader.)
    """
    folder = hub.write_role_configs(options)["student"]
    env = {**os.environ, "JUPYTER_CONFIG_PATH": str(folder)}
    result = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    text = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    disabled = text.split("Disabled extensions:")[-1]
    for plugin in INSTRUCTOR_LAB_PLUGINS:
        assert re.search(rf"{re.escape(plugin)}\b", disabled), text
    assert "@jupyter/nbgrader:assignment-list" not in disabled


def test_hub_configuration(options):
    (options.state).mkdir()
    values = hub.settings(options)
    c = hub.configure(Config(), values, hub_port=18081, proxy_api_port=18082)
    state = options.state
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8123"
    assert c.JupyterHub.hub_port == 18081
    assert c.JupyterHub.db_url == f"sqlite:///{state / 'jupyterhub.sqlite'}"
    assert c.JupyterHub.cookie_secret_file == str(state / "jupyterhub_cookie_secret")
    assert c.ConfigurableHTTPProxy.auth_token == (state / "proxy_token").read_text()
    assert c.ConfigurableHTTPProxy.command == [
        str(state / "node_modules" / ".bin" / "configurable-http-proxy")
    ]
    assert c.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:18082"
    assert c.JupyterHub.authenticator_class == "pam"
    assert c.JupyterHub.spawner_class == "localprocess"
    assert c.Authenticator.allowed_users == {"mc-instructor", *hub.student_names(3)}
    assert c.Spawner.cmd == [sys.executable, "-m", "jupyterhub.singleuser"]
    assert c.Spawner.default_url == "/lab"

    [culler] = c.JupyterHub.services
    assert culler["name"] == "idle-culler"
    assert culler["command"][1:3] == ["-m", "jupyterhub_idle_culler"]
    assert "--timeout=1800" in culler["command"]
    [role] = c.JupyterHub.load_roles
    assert role["services"] == ["idle-culler"]
    assert set(role["scopes"]) == {
        "list:users", "read:users:activity", "read:servers", "delete:servers"
    }  # fmt: skip


def test_each_role_gets_its_configuration_and_folder(options, monkeypatch):
    (options.state).mkdir()
    monkeypatch.setattr(hub, "home_of", lambda name: Path("/home") / name)
    c = hub.configure(Config(), hub.settings(options), hub_port=1, proxy_api_port=2)

    def spawn(name):
        spawner = SimpleNamespace(user=SimpleNamespace(name=name), environment={"KEEP": "1"})
        c.Spawner.pre_spawn_hook(spawner)
        return spawner

    teacher, student = spawn("mc-instructor"), spawn("mc-student-2")
    assert teacher.environment["JUPYTER_CONFIG_PATH"] == str(options.state / "jupyter/instructor")
    assert teacher.notebook_dir == str(options.course)
    assert student.environment["JUPYTER_CONFIG_PATH"] == str(options.state / "jupyter/student")
    assert student.notebook_dir == "/home/mc-student-2"
    for spawner in (teacher, student):
        assert spawner.environment["KEEP"] == "1"
        assert spawner.environment["PATH"].startswith(str(Path(sys.executable).parent) + ":")


def test_the_generated_file_is_what_jupyterhub_loads(options):
    options.state.mkdir()
    (options.state / hub.SETTINGS).write_text(json.dumps(hub.settings(options)))
    (options.state / hub.CONFIG).write_text(hub.CONFIG_TEMPLATE)
    config = PyFileConfigLoader(hub.CONFIG, path=str(options.state)).load_config()
    assert config.JupyterHub.bind_url == "http://127.0.0.1:8123"
    assert config.JupyterHub.authenticator_class == "pam"


def test_exchange_is_world_writable_and_sticky(tmp_path):
    hub.ensure_exchange(tmp_path / "srv" / "exchange")
    assert stat.S_IMODE((tmp_path / "srv" / "exchange").stat().st_mode) == 0o1777


def test_the_instructor_course_folder_is_copied_once_and_kept_private(tmp_path, root):
    course = tmp_path / "course"
    assert hub.ensure_course(course, owner="nobody-such-user", source=root)
    assert (course / "solutions" / "01_intervention" / "01_intervention.ipynb").is_file()
    assert (course / "data" / "datapackage.json").is_file()
    assert stat.S_IMODE(course.stat().st_mode) == 0o700
    (course / "nbgrader_config.py").write_text("# the instructor's own edit\n")
    assert not hub.ensure_course(course, owner="nobody-such-user", source=root)
    assert (course / "nbgrader_config.py").read_text() == "# the instructor's own edit\n"


def test_without_root_the_hub_says_what_to_do(options, monkeypatch, capsys):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert hub.run(options) == 1
    assert "sudo make hub" in capsys.readouterr().err


def test_the_command_line_takes_the_options(monkeypatch, tmp_path):
    from malicourse import cli

    seen = {}
    monkeypatch.setattr(hub, "run", lambda options, start: seen.update(o=options, s=start) or 0)
    users = tmp_path / "users.txt"
    users.write_text("prof instructor\nawa\n")
    assert cli.main(["hub", "--users", str(users), "--port", "9000", "--ip", "0.0.0.0",
                     "--state", str(tmp_path / "s"), "--prepare-only"]) == 0  # fmt: skip
    assert (seen["o"].instructor, seen["o"].students) == ("prof", ["awa"])
    assert (seen["o"].ip, seen["o"].port, seen["s"]) == ("0.0.0.0", 9000, False)
    assert cli.main(["hub", "--students", "2", "--state", str(tmp_path / "s")]) == 0
    assert (seen["o"].instructor, seen["o"].students) == (
        "mc-instructor", ["mc-student-1", "mc-student-2"]
    )  # fmt: skip
    assert seen["o"].exchange == Path("/srv/nbgrader/exchange") and seen["s"] is True


def test_a_second_run_reuses_the_state(options, monkeypatch, root):
    """Secrets, passwords and the course folder stay; the generated files are written again."""
    monkeypatch.setattr(hub, "ensure_accounts", lambda state, names: dict.fromkeys(names, "pw"))
    monkeypatch.setattr(hub, "ensure_proxy", lambda state: state / "node_modules")
    monkeypatch.setattr(hub, "users_python", lambda venv_bin, state: Path(sys.executable))
    hub.prepare(options)
    token = (options.state / hub.PROXY_TOKEN).read_text()
    (options.course / "notes.txt").write_text("mine")
    options.port = 9999
    hub.prepare(options)
    assert (options.state / hub.PROXY_TOKEN).read_text() == token
    assert (options.course / "notes.txt").read_text() == "mine"
    assert json.loads((options.state / hub.SETTINGS).read_text())["port"] == 9999
    assert stat.S_IMODE(options.state.stat().st_mode) == 0o711
    assert stat.S_IMODE(options.exchange.stat().st_mode) == 0o1777
