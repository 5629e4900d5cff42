"""Run one notebook kernel the way an untrusted submission must run: walled off, with bubblewrap.

    python -m malicourse.grading.sandbox --uid 61001 --submission DIR --connection FILE \
        --course ROOT --state DIR -- python -m ipykernel_launcher -f FILE

The walls are bubblewrap's (``bwrap``, Debian's ``bubblewrap`` package): new IPC, PID, network,
UTS and cgroup namespaces (no network, no other process, no shared memory with anyone), and a
file system built from an allow-list: read-only ``/usr``, the interpreter, the virtual
environment, the course package and the course's ``data/``, ``notebooks/`` and ``exercises/``;
fresh size-limited tmpfs for ``/tmp``, ``/dev/shm``, the working folder (a copy of the notebooks
and answers files only) and the kernel's connection folder. Nothing else of ``/root``, ``/home``,
``/srv``, ``/run``, ``/var``, ``/opt`` or the course exists inside. The kernel's sockets live on
the sandbox's tmpfs; the grader reaches them through ``/proc/<pid>/root``.

As root, the command runs as a user id of its own (``--uid``), with every capability dropped;
without root, bwrap makes an unprivileged user namespace (same guarantees, the grader's user id).
Resource limits (``setrlimit``) cap memory, processes, file size, open files and CPU time.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

MODULE = "malicourse.grading.sandbox"
STUDENT_VISIBLE = ("data", "notebooks", "exercises")
INSIDE = Path("/grading")
WORK, KERNEL, SUBMISSION = INSIDE / "work", INSIDE / "kernel", INSIDE / "submission"
DATA_CACHE = INSIDE / "data-cache"
COPIED = ("*.ipynb", "*.answers.json")  # the only files of a submission the kernel sees
PR_SET_PDEATHSIG, PR_CAPBSET_DROP = 1, 24  # from <linux/prctl.h>
CAP_LAST = 40


class SandboxUnavailable(RuntimeError):
    """This machine cannot build the sandbox; the message says what to do."""


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 1 << 30
    processes: int = 64
    file_bytes: int = 64 << 20
    workdir_bytes: int = 256 << 20
    open_files: int = 256
    cpu_seconds: int = 900


def command(
    cmd: list[str],
    *,
    uid: int,
    submission: Path,
    connection: Path,
    course: Path,
    state: Path,
    limits: Limits,
    data_cache: Path | None = None,
) -> list[str]:
    """The argv that runs ``cmd`` (a kernel) inside a sandbox."""
    options = [f"--{key.replace('_', '-')}={value}" for key, value in asdict(limits).items()]
    options += [f"--data-cache={data_cache}"] if data_cache else []
    # -I: the launcher runs as the grader, in the submission's folder: never import from there.
    return [
        sys.executable, "-I", "-m", MODULE, f"--uid={uid}", f"--submission={submission}",
        f"--connection={connection}", f"--course={course}", f"--state={state}", *options,
        "--", *cmd,
    ]  # fmt: skip


def check_available() -> None:
    """Raise :class:`SandboxUnavailable` with one clear sentence if bwrap cannot run here."""
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable(
            "Grading needs bubblewrap to isolate submissions: install the Debian/Ubuntu package "
            "'bubblewrap' (make setup-test does it), then run the command again."
        )
    probe = subprocess.run(
        [*_bwrap_base(os.geteuid() == 0), "--", "/usr/bin/true"], capture_output=True
    )
    if probe.returncode != 0:
        raise SandboxUnavailable(
            "bubblewrap cannot create namespaces for this user here ("
            + probe.stderr.decode(errors="replace").strip()[:200]
            + "): run malicourse grade as root, or on a machine that allows unprivileged "
            "user namespaces."
        )


def isolation_level() -> str:
    if os.geteuid() == 0:
        return "bubblewrap (IPC, PID, network, mount namespaces), separate user id, resource limits"
    return "bubblewrap in a user namespace, resource limits (same user id as the grader)"


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    if args.inner:
        _inner(args)
    _die_with_parent()
    _limit(args, separate_user=os.geteuid() == 0)
    read, write = os.pipe()
    bwrap = [*_bwrap_base(os.geteuid() == 0), "--info-fd", str(write), *_view(args)]
    inner = [sys.executable, "-I", "-m", MODULE, "--inner", *(argv or sys.argv[1:])]
    # Interrupts reach the kernel as messages (interrupt_mode "message"): signals to this
    # launcher must not stop bwrap, whose death ends the sandbox.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    process = subprocess.Popen([*bwrap, "--", *inner], pass_fds=(write,))
    os.close(write)
    with os.fdopen(read) as info:
        text = info.read()
    with contextlib.suppress(ValueError, OSError):
        pid = json.loads(text)["child-pid"]
        partial = Path(args.state) / "sandbox.partial"
        partial.write_text(json.dumps({"pid": pid}))
        partial.replace(Path(args.state) / "sandbox.json")
    os._exit(process.wait() & 0xFF)


def _bwrap_base(root: bool) -> list[str]:
    base = [
        "bwrap", "--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid",
        "--unshare-net", "--unshare-uts", "--unshare-cgroup-try", "--cap-drop", "ALL",
        "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev",
    ]  # fmt: skip
    for name in ("bin", "lib", "lib64", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            base += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            base += ["--ro-bind", str(path), str(path)]
    for shared in ("/etc/ld.so.cache", "/etc/fonts"):  # libraries and fonts, nothing private
        if Path(shared).exists():
            base += ["--ro-bind", shared, shared]
    if root:  # just enough to become the sandbox's own user, then nothing
        base += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
        base += ["--cap-add", "CAP_CHOWN"]
    else:
        base += ["--unshare-user", "--disable-userns"]
    return base


def _view(args) -> list[str]:
    """The allow-list: what of the host the kernel sees, and the fresh folders it may write."""
    course = Path(args.course).resolve()
    package = Path(__file__).resolve().parents[2]  # src/ of the installed course package
    shown = [
        Path(sys.base_prefix).resolve(),
        Path(sys.prefix).absolute(),
        Path(sys.prefix).resolve(),
        package,
        *(course / name for name in STUDENT_VISIBLE if (course / name).is_dir()),
    ]
    # Fresh tmpfs first: a course kept under /tmp is then bound on top of the new /tmp.
    view = [
        "--perms", "1777", "--size", str(64 << 20), "--tmpfs", "/tmp",
        "--perms", "1777", "--size", str(64 << 20), "--tmpfs", "/dev/shm",
    ]  # fmt: skip
    parents = {
        parent
        for path in shown
        for parent in path.parents
        if not any(parent == other or other in parent.parents for other in shown)
    }
    for parent in sorted(parents - {Path("/"), Path("/tmp")}, key=lambda p: len(p.parts)):
        view += ["--perms", "0755", "--dir", str(parent)]
    for path in sorted(set(shown), key=lambda p: len(p.parts)):
        view += ["--ro-bind", str(path), str(path)]
    view += [
        "--perms", "0777", "--size", str(args.workdir_bytes), "--tmpfs", str(WORK),
        "--perms", "0777", "--size", str(1 << 20), "--tmpfs", str(KERNEL),
        "--ro-bind", str(Path(args.submission).resolve()), str(SUBMISSION),
        "--ro-bind", str(Path(args.connection).resolve()), str(INSIDE / "connection.json"),
        "--chdir", str(WORK), "--clearenv",
    ]  # fmt: skip
    if args.data_cache:  # the grader validated the course data: kernels need not do it again
        view += ["--ro-bind", str(Path(args.data_cache).resolve()), str(DATA_CACHE)]
    return view


def _inner(args) -> None:
    """Inside the walls: copy the notebooks in, become the sandbox's user, start the kernel."""
    for pattern in COPIED:
        for path in Path(SUBMISSION).glob(pattern):
            if path.is_file() and not path.is_symlink():
                shutil.copyfile(path, WORK / path.name)
    shutil.copyfile(INSIDE / "connection.json", KERNEL / "connection.json")
    home = Path("/tmp/home")
    home.mkdir(mode=0o700)
    if os.geteuid() == 0:
        for path in (KERNEL / "connection.json", home, *WORK.iterdir()):
            os.chown(path, args.uid, args.uid)
        libc = ctypes.CDLL(None, use_errno=True)
        for capability in range(CAP_LAST + 1):
            libc.prctl(PR_CAPBSET_DROP, capability)
        os.setgroups([])
        os.setgid(args.uid)
        os.setuid(args.uid)
    cmd = [
        str(KERNEL / "connection.json") if part == args.connection else part for part in args.cmd
    ]
    environment = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(home),
        "IPYTHONDIR": str(home / ".ipython"),
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        "JUPYTER_DATA_DIR": str(home / ".local/share/jupyter"),
        "JUPYTER_RUNTIME_DIR": str(home / ".local/share/jupyter/runtime"),
        "MPLCONFIGDIR": str(home / ".matplotlib"),
        "PYTHONSAFEPATH": "1",  # the working folder is never on sys.path
        "PYTHONNOUSERSITE": "1",
        "LANG": "C.UTF-8",
        "USER": "student",
        "LOGNAME": "student",
        "MPLBACKEND": "Agg",
        "MALICOURSE_ROOT": args.course,
        "MALICOURSE_CACHE_DIR": str(DATA_CACHE) if args.data_cache else "off",
        "OPENBLAS_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    log = os.open(str(home / "kernel.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.execvpe(cmd[0], cmd, environment)


def _die_with_parent() -> None:
    """If the grading worker dies (Ctrl-C, a crash), the sandbox and all in it die too."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _parse(argv):
    parser = argparse.ArgumentParser(prog=MODULE)
    parser.add_argument("--inner", action="store_true")
    parser.add_argument("--uid", type=int, required=True)
    parser.add_argument("--submission", required=True)
    parser.add_argument("--connection", required=True)
    parser.add_argument("--course", required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--data-cache")
    for key, value in asdict(Limits()).items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=int, default=value)
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    args.cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    return args


def _limit(args, separate_user: bool) -> None:
    # The process limit counts every process of the user id, so it is only meaningful (and
    # only safe) when the sandbox has a user id of its own.
    if separate_user:
        resource.setrlimit(resource.RLIMIT_NPROC, (args.processes, args.processes))
    for limit, value in (
        (resource.RLIMIT_AS, args.memory_bytes),
        (resource.RLIMIT_FSIZE, args.file_bytes),
        (resource.RLIMIT_NOFILE, args.open_files),
        (resource.RLIMIT_CPU, args.cpu_seconds),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(limit, (value, value))


if __name__ == "__main__":
    main()
