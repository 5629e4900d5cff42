"""A classroom on one machine: JupyterHub, one server per user, nbgrader's exchange.

``malicourse hub`` prepares everything in one state folder (default ``.hub/``) and then runs
JupyterHub in the foreground (Ctrl-C stops the hub, the proxy and every user's server):

- the proxy, configurable-http-proxy, pinned below and installed from npm into
  ``<state>/node_modules`` when it is missing;
- the accounts: one instructor and the students, system users created when run as root, each
  with a generated password recorded in ``<state>/accounts.txt`` (mode 0600);
- nbgrader's exchange (``/srv/nbgrader/exchange`` by default, mode 1777 as nbgrader documents);
- the instructor's course folder (default ``~<instructor>/course``, copied once from this
  course: ``nbgrader_config.py``, ``solutions/``, ``data/``, ``notebooks/``; never overwritten),
  where the formgrader works and ``malicourse grade --course`` grades;
- two Jupyter configuration folders, handed to each server through ``JUPYTER_CONFIG_PATH``:
  ``<state>/jupyter/instructor`` (course folder, course id, exchange) and
  ``<state>/jupyter/student`` (course id, exchange; formgrader, create-assignment and course list
  switched off, as ``malicourse role`` does for a student bundle);
- when other users cannot run the course environment's Python (one installed under /root),
  ``<state>/python`` and ``<state>/userenv``: the same interpreter and packages, hard-linked
  where every user can run them (see ``users_python``);
- ``<state>/jupyterhub_config.py`` and ``<state>/hub.json``, rewritten on every run from the
  options; the hub database, cookie secret and proxy token stay, so a second run reuses them.

Logins go through JupyterHub's default PAMAuthenticator and servers start with the
LocalProcessSpawner in this course environment; idle servers are stopped by
jupyterhub-idle-culler, run by the hub as a service.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .course import course_root
from .release import INSTRUCTOR_LAB_PLUGINS, INSTRUCTOR_SERVER_EXTENSIONS

PROXY_PACKAGE = "configurable-http-proxy"
PROXY_VERSION = "5.3.0"  # pinned here: the npm side of the course's pins
DEFAULT_EXCHANGE = Path("/srv/nbgrader/exchange")
DEFAULT_INSTRUCTOR = "mc-instructor"
STUDENT_PREFIX = "mc-student-"
ACCOUNTS = "accounts.txt"
SETTINGS = "hub.json"
CONFIG = "jupyterhub_config.py"
PROXY_TOKEN = "proxy_token"
# What an instructor's course folder holds: the nbgrader source, and what grading reads
# (the data, and the lessons the grader's sandbox also shows).
COURSE_FOLDERS = ("solutions", "data", "notebooks")


@dataclass
class HubOptions:
    """Everything the generated configuration depends on (saved as ``<state>/hub.json``)."""

    state: Path
    students: list[str]
    instructor: str = DEFAULT_INSTRUCTOR
    ip: str = "127.0.0.1"
    port: int = 8000
    exchange: Path = DEFAULT_EXCHANGE
    course: Path | None = None  # the instructor's course folder; default ~instructor/course
    course_id: str = ""
    idle_timeout: int = 3600  # seconds without activity before a server is stopped
    venv_bin: Path = field(default_factory=lambda: Path(sys.executable).parent)
    python: Path | None = None  # what users' servers run; set by prepare()

    @property
    def users(self) -> list[str]:
        return [self.instructor, *self.students]


# -- users ---------------------------------------------------------------------------------


def student_names(count: int, prefix: str = STUDENT_PREFIX) -> list[str]:
    return [f"{prefix}{i}" for i in range(1, count + 1)]


def read_users(path: Path) -> tuple[str | None, list[str]]:
    """A user list: one name a line, ``#`` comments; ``name instructor`` marks the instructor."""
    instructor, students = None, []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        words = line.split("#")[0].split()
        if not words:
            continue
        name, role = words[0], (words[1] if len(words) > 1 else "student")
        if not valid_username(name) or role not in {"student", "instructor"}:
            raise ValueError(f"{path}:{number}: expected 'name' or 'name instructor', got {line!r}")
        if role == "instructor":
            instructor = name
        else:
            students.append(name)
    return instructor, students


def valid_username(name: str) -> bool:
    """Names that useradd and nbgrader both accept (nbgrader splits submissions on '+')."""
    return (
        0 < len(name) <= 32
        and name[0].isalpha()
        and name.islower()
        and all(ch.isalnum() or ch in "-_" for ch in name)
    )


def account_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def load_accounts(state: Path) -> dict[str, str]:
    """The passwords this command generated, by user name."""
    path = state / ACCOUNTS
    if not path.is_file():
        return {}
    found = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, password = line.partition(" ")
            found[name] = password
    return found


def save_accounts(state: Path, accounts: dict[str, str]) -> Path:
    path = state / ACCOUNTS
    text = "# user password (generated by `malicourse hub`; keep private)\n"
    text += "".join(f"{name} {password}\n" for name, password in sorted(accounts.items()))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as stream:
        stream.write(text)
    os.chmod(path, 0o600)
    return path


def ensure_accounts(state: Path, names: list[str]) -> dict[str, str]:
    """Create missing system users with generated passwords; keep everyone else as they are.

    Returns what each user should type: a generated password, or "" for an account that existed
    before and whose password this command never set.
    """
    accounts = load_accounts(state)
    shown = {}
    for name in names:
        if not account_exists(name):
            if os.geteuid() != 0:
                raise PermissionError(
                    f"user {name!r} does not exist and only root can create it: run "
                    "`sudo malicourse hub ...` (or create the accounts yourself)"
                )
            subprocess.run(
                ["useradd", "--create-home", "--shell", "/bin/bash", "--comment",
                 "malicourse hub", name],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            os.chmod(home_of(name), 0o700)  # nobody reads another's work (or the solutions)
            accounts[name] = secrets.token_urlsafe(12)
            subprocess.run(
                ["chpasswd"], input=f"{name}:{accounts[name]}\n", check=True, text=True,
                capture_output=True,
            )  # fmt: skip
            save_accounts(state, accounts)
        shown[name] = accounts.get(name, "")
    return shown


def remove_accounts(state: Path) -> list[str]:
    """Delete the system users this command created (and their homes); forget their passwords."""
    removed = []
    for name in load_accounts(state):
        if account_exists(name):
            subprocess.run(["userdel", "--remove", name], capture_output=True, text=True)
            removed.append(name)
    (state / ACCOUNTS).unlink(missing_ok=True)
    return removed


# -- folders ---------------------------------------------------------------------------------


def ensure_exchange(path: Path) -> None:
    """nbgrader's exchange root: everyone may write, nobody may delete another's files."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o1777)


def home_of(name: str) -> Path:
    return Path(pwd.getpwnam(name).pw_dir)


def ensure_course(course: Path, owner: str, source: Path | None = None) -> bool:
    """The instructor's course folder, copied once from this course; returns whether it was made."""
    if (course / "nbgrader_config.py").is_file():
        return False
    source = source or course_root()
    if not (source / "solutions").is_dir():
        raise RuntimeError(
            f"{source} has no solutions/ (a student bundle?): run the hub from the instructor's "
            "copy of the course, or give an existing course folder with --course"
        )
    course.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "nbgrader_config.py", course / "nbgrader_config.py")
    for name in COURSE_FOLDERS:
        shutil.copytree(
            source / name,
            course / name,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
    os.chmod(course, 0o700)  # it holds the solutions and the gradebook
    if account_exists(owner) and os.geteuid() == 0:
        user = pwd.getpwnam(owner)
        for path in [course, *course.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
    return True


def course_id_of(root: Path) -> str:
    """The course id set in a course's nbgrader_config.py."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    course_id = config.CourseDirectory.get("course_id", "")
    if not course_id:
        raise ValueError(f"{root / 'nbgrader_config.py'} sets no CourseDirectory.course_id")
    return course_id


def ensure_proxy(state: Path, npm: str = "npm") -> Path:
    """configurable-http-proxy, at the pinned version, in ``<state>/node_modules``."""
    command = state / "node_modules" / ".bin" / PROXY_PACKAGE
    manifest = state / "node_modules" / PROXY_PACKAGE / "package.json"
    if (
        command.exists()
        and manifest.is_file()
        and json.loads(manifest.read_text()).get("version") == PROXY_VERSION
    ):
        return command
    if shutil.which(npm) is None:
        raise FileNotFoundError(
            f"npm not found: install Node.js (with npm) so that {PROXY_PACKAGE} can be installed"
        )
    print(f"Installing {PROXY_PACKAGE}@{PROXY_VERSION} into {state / 'node_modules'} (npm)")
    subprocess.run(
        [npm, "install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error",
         "--prefix", str(state), f"{PROXY_PACKAGE}@{PROXY_VERSION}"],
        check=True,
    )  # fmt: skip
    return command


def secret_file(path: Path, make=lambda: secrets.token_hex(32)) -> str:
    """A secret kept in a 0600 file, made on first use."""
    if not path.is_file():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as stream:
            stream.write(make())
    os.chmod(path, 0o600)
    return path.read_text().strip()


def free_port(ip: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


# -- the course environment, as other users can run it ----------------------------------------


def reachable_by_others(path: Path) -> bool:
    """Whether a user other than the owner can execute path (every folder above it included)."""
    import stat

    target = Path(os.path.realpath(path))
    for folder in target.parents:
        if not folder.stat().st_mode & stat.S_IXOTH:
            return False
    return bool(target.stat().st_mode & stat.S_IXOTH)


def users_python(venv_bin: Path, state: Path) -> Path:
    """A Python that every user can run, with the course environment's packages.

    Normally the course environment's own. When its interpreter sits where other users cannot
    reach it (a venv made from a Python installed under /root, say), the state folder gets
    ``python/``, a copy of that same interpreter, and ``userenv/``, a copy of the course
    environment that runs it: hard links (no extra space, about a second), with new files only
    where a path had to change. Both are remade when the course environment's packages change.
    """
    course_python = venv_bin / "python"
    if reachable_by_others(course_python):
        return course_python
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    venv = venv_bin.parent
    base = Path(os.path.realpath(course_python)).parents[1]  # the interpreter's installation
    userenv, python_home = state / "userenv", state / "python"
    stamp = "\n".join(
        [str(base), *sorted(p.name for p in (venv / "lib" / version / "site-packages").iterdir())]
    )
    if (userenv / ".course-packages").is_file() and (
        (userenv / ".course-packages").read_text() == stamp
    ):
        return userenv / "bin" / "python"
    print(f"Making {python_home} and {userenv}: other users cannot run {base}/bin/{version}")
    for folder in (python_home, userenv):
        shutil.rmtree(folder, ignore_errors=True)
        hard_link_copy(venv if folder == userenv else base, folder)
    # The interpreter finds libpython through a run path naming its old place: point it at
    # its own lib/ instead. A new file, never a write into a hard-linked one.
    executable = python_home / "bin" / version
    binary = executable.read_bytes()
    old = str(base / "lib").encode()
    if old + b"\0" in binary:
        new = b"$ORIGIN/../lib"
        binary = binary.replace(old + b"\0", new + b"\0" * (len(old) - len(new) + 1))
    mode = executable.stat().st_mode
    executable.unlink()
    executable.write_bytes(binary)
    executable.chmod(mode)

    config = userenv / "pyvenv.cfg"
    lines = config.read_text().splitlines()
    config.unlink()
    config.write_text(
        "".join(
            (f"home = {python_home / 'bin'}" if line.startswith("home") else line) + "\n"
            for line in lines
            if not line.startswith(("executable", "command"))
        )
    )
    bin_dir = userenv / "bin"
    for name in ("python", "python3", version):
        (bin_dir / name).unlink(missing_ok=True)
        (bin_dir / name).symlink_to(executable)
    old_line, new_line = f"#!{venv_bin / 'python'}", f"#!{bin_dir / 'python'}"
    for script in bin_dir.iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        with script.open("rb") as stream:
            first = stream.readline()
        if first.decode(errors="replace").startswith(old_line):
            text = script.read_bytes().replace(old_line.encode(), new_line.encode(), 1)
            mode = script.stat().st_mode
            script.unlink()
            script.write_bytes(text)
            script.chmod(mode)
    (userenv / ".course-packages").write_text(stamp)
    return bin_dir / "python"


def hard_link_copy(source: Path, target: Path) -> None:
    """``cp -al`` (a real copy across file systems), readable and searchable by everyone."""
    try:
        subprocess.run(["cp", "-al", str(source), str(target)], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run(["cp", "-a", str(source), str(target)], check=True)
    target.chmod(0o755)


# -- configuration ---------------------------------------------------------------------------


def instructor_nbgrader_config(options: HubOptions) -> str:
    course = str(options.course)
    return (
        "# Written by `malicourse hub`: the instructor's course, course id and exchange.\n"
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig('nbgrader_config.py', path={course!r})  # noqa: F821\n"
        f"c.CourseDirectory.root = {course!r}\n"
        f"c.CourseDirectory.course_id = {options.course_id!r}\n"
        f"c.Exchange.root = {str(options.exchange)!r}\n"
    )


def student_nbgrader_config(options: HubOptions) -> str:
    return (
        "# Written by `malicourse hub`: the course id and the exchange, nothing else.\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {options.course_id!r}\n"
        f"c.Exchange.root = {str(options.exchange)!r}\n"
    )


def write_role_configs(options: HubOptions) -> dict[str, Path]:
    """One Jupyter configuration folder per role, given to servers as ``JUPYTER_CONFIG_PATH``."""
    folders = {}
    for role, text in (
        ("instructor", instructor_nbgrader_config(options)),
        ("student", student_nbgrader_config(options)),
    ):
        folder = options.state / "jupyter" / role
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "nbgrader_config.py").write_text(text)
        folders[role] = folder
    student = folders["student"]
    (student / "labconfig").mkdir(exist_ok=True)
    (student / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": dict.fromkeys(INSTRUCTOR_LAB_PLUGINS, True)}, indent=2)
    )
    drop_in = student / "jupyter_server_config.d" / "zz-malicourse-student.json"
    drop_in.parent.mkdir(exist_ok=True)
    switches = dict.fromkeys(INSTRUCTOR_SERVER_EXTENSIONS, False)
    drop_in.write_text(json.dumps({"ServerApp": {"jpserver_extensions": switches}}, indent=2))
    # Readable by every user's server; the state folder itself only lets them through.
    for path in [options.state / "jupyter", *(options.state / "jupyter").rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return folders


def settings(options: HubOptions) -> dict:
    """What ``configure()`` reads at hub start: plain JSON, saved as ``<state>/hub.json``."""
    state = options.state
    values = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()}
    return {
        **values,
        "proxy": str(state / "node_modules" / ".bin" / PROXY_PACKAGE),
        "config_path": {
            "instructor": str(state / "jupyter" / "instructor"),
            "student": str(state / "jupyter" / "student"),
        },
    }


CONFIG_TEMPLATE = """\
# Generated by `malicourse hub` on every run, from hub.json beside it: edit the options, not this.
import json
from pathlib import Path

from malicourse.hub import configure

configure(c, json.loads((Path(__file__).parent / "hub.json").read_text()))  # noqa: F821
"""


def configure(c, values: dict, hub_port: int | None = None, proxy_api_port: int | None = None):
    """Fill JupyterHub's config object ``c`` from ``values`` (see ``settings()``)."""
    state = Path(values["state"])
    instructor = values["instructor"]
    course = values["course"]

    c.JupyterHub.bind_url = f"http://{values['ip']}:{values['port']}"
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = hub_port or free_port()
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
    c.JupyterHub.cleanup_servers = True  # stopping the hub stops everyone's server

    c.ConfigurableHTTPProxy.command = [values["proxy"]]
    c.ConfigurableHTTPProxy.auth_token = secret_file(state / PROXY_TOKEN)
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{proxy_api_port or free_port()}"
    c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")

    c.JupyterHub.authenticator_class = "pam"
    c.Authenticator.allowed_users = {instructor, *values["students"]}

    c.JupyterHub.spawner_class = "localprocess"
    python = Path(values["python"])
    c.Spawner.cmd = [str(python), "-m", "jupyterhub.singleuser"]
    c.Spawner.default_url = "/lab"
    c.Spawner.start_timeout = 120
    c.Spawner.http_timeout = 120
    # The commands (nbgrader, alembic, jupyter) beside the Python the servers run.
    base_env = {"PATH": os.pathsep.join([str(python.parent), "/usr/local/bin", "/usr/bin", "/bin"])}

    def pre_spawn_hook(spawner):
        role = "instructor" if spawner.user.name == instructor else "student"
        spawner.environment = {
            **base_env,
            **spawner.environment,
            "JUPYTER_CONFIG_PATH": values["config_path"][role],
        }
        spawner.notebook_dir = course if role == "instructor" else str(home_of(spawner.user.name))

    c.Spawner.pre_spawn_hook = pre_spawn_hook

    timeout = int(values["idle_timeout"])
    c.JupyterHub.services = [
        {
            "name": "idle-culler",
            "command": [
                sys.executable, "-m", "jupyterhub_idle_culler",
                f"--timeout={timeout}", f"--cull-every={max(60, min(600, timeout // 4))}",
            ],
        }
    ]  # fmt: skip
    c.JupyterHub.load_roles = [
        {
            "name": "idle-culler",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": ["idle-culler"],
        }
    ]
    return c


def prepare(options: HubOptions) -> dict[str, str]:
    """Everything before the hub starts; returns each user's password ("" if not ours)."""
    state = options.state
    state.mkdir(parents=True, exist_ok=True)
    os.chmod(state, 0o711)  # users' servers read jupyter/ inside; nobody lists the secrets
    if not options.course_id:
        options.course_id = course_id_of(course_root())
    for name in options.users:
        if not valid_username(name):
            raise ValueError(f"{name!r} is not a valid user name (lower case, digits, - and _)")
    passwords = ensure_accounts(state, options.users)
    if options.course is None:
        options.course = home_of(options.instructor) / "course"
    ensure_course(options.course, options.instructor)
    ensure_exchange(options.exchange)
    ensure_proxy(state)
    options.python = users_python(options.venv_bin, state)
    secret_file(state / PROXY_TOKEN)
    write_role_configs(options)
    (state / SETTINGS).write_text(json.dumps(settings(options), indent=2))
    (state / CONFIG).write_text(CONFIG_TEMPLATE)
    return passwords


def summary(options: HubOptions, passwords: dict[str, str]) -> str:
    lines = [
        f"JupyterHub: http://{options.ip}:{options.port}/  (Ctrl-C stops it and every server)",
        f"Instructor {options.instructor}: course folder {options.course}; formgrader at "
        f"http://{options.ip}:{options.port}/user/{options.instructor}/formgrader",
        f"Exchange: {options.exchange}; course id {options.course_id}",
        f"Accounts (also in {options.state / ACCOUNTS}, mode 0600):",
    ]
    for name in options.users:
        lines.append(f"  {name:24} {passwords.get(name) or '(existing account, own password)'}")
    return "\n".join(lines)


def run(options: HubOptions, start: bool = True) -> int:
    if os.geteuid() != 0 and start:
        print(
            "The hub starts each user's server as that user, which needs root: run "
            "`sudo make hub` (or `sudo .venv/bin/malicourse hub`).",
            file=sys.stderr,
        )
        return 1
    try:
        passwords = prepare(options)
    except (PermissionError, RuntimeError, FileNotFoundError, ValueError) as problem:
        print(f"malicourse hub: {problem}", file=sys.stderr)
        return 1
    print(summary(options, passwords), flush=True)
    if not start:
        return 0
    env = {**os.environ, "PATH": os.pathsep.join([str(options.venv_bin), os.environ["PATH"]])}
    hub = str(options.venv_bin / "jupyterhub")
    os.chdir(options.state)
    # A shell starts background jobs with SIGINT ignored, and exec keeps that: the hub would
    # pass it on to its services and then wait forever for them to stop.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.execve(hub, [hub, "-f", str(options.state / CONFIG)], env)
    return 0  # not reached
