"""Run one command (a notebook kernel) the way an untrusted submission must run: walled off.

    python -m malicourse.grading.sandbox --uid 61001 --workdir DIR --ipc DIR --course ROOT -- CMD

Only standard operating-system mechanisms are used:

- ``unshare`` (util-linux) gives the command its own network namespace (no network at all),
  PID namespace (it cannot see or signal other processes; all its children die with it) and
  mount namespace (a private view of the file system);
- in that view the course folder shows only what a student may see (the package, the data, the
  lessons and the released exercises, all read-only); empty read-only tmpfs hide ``/root``,
  ``/home`` and any folder passed with ``--hide``; fresh, size-limited tmpfs replace ``/tmp``,
  ``/var/tmp`` and ``/dev/shm``; the
  working folder is a size-limited tmpfs holding a copy of the submission, so nothing written
  there reaches the disk;
- resource limits (``setrlimit``) cap address space, processes, file size, open files, CPU time;
- the command runs as an unprivileged user id that no other sandbox uses at the same time.

Without root, the namespaces are made inside a user namespace where the system allows it (the
command then keeps the grader's user id, so the process limit cannot apply); the other resource
limits always apply. ``isolation_level()`` says which protections are in force.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import resource
import shutil
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

MODULE = "malicourse.grading.sandbox"
INNER = "MALICOURSE_SANDBOX_INNER"
STUDENT_VISIBLE = (".venv", "src", "data", "notebooks", "exercises")
HIDDEN = ("/root", "/home")
SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")
STAGES = ("/mnt", "/media", "/srv", "/opt")
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


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
    workdir: Path,
    ipc: Path,
    course: Path,
    limits: Limits,
    hide: tuple[Path, ...] = (),
) -> list[str]:
    """The argv that runs ``cmd`` inside a sandbox."""
    options = [f"--{key.replace('_', '-')}={value}" for key, value in asdict(limits).items()]
    options += [f"--hide={path}" for path in hide]
    return [
        sys.executable, "-m", MODULE, f"--uid={uid}", f"--workdir={workdir}", f"--ipc={ipc}",
        f"--course={course}", *options, "--", *cmd,
    ]  # fmt: skip


def isolation_level() -> str:
    if os.geteuid() == 0 and _has_unshare(_namespaces(root=True)):
        return "namespaces (network, PID, mount), separate user id, resource limits"
    if _has_unshare(_namespaces(root=False)):
        return "namespaces in a user namespace, resource limits (same user id as the grader)"
    return "resource limits only (this machine allows this user no namespaces)"


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    root = os.geteuid() == 0
    namespaces = _namespaces(root)
    _die_with_parent()
    if os.environ.get(INNER) != "1" and _has_unshare(namespaces):
        again = [sys.executable, "-m", MODULE, *(argv if argv is not None else sys.argv[1:])]
        os.execvpe("unshare", ["unshare", *namespaces, *again], {**os.environ, INNER: "1"})
    if os.environ.pop(INNER, None) == "1":  # set only by the exec above: we are in the namespaces
        _private_view(args)
    if root:
        for folder, _, files in os.walk(args.workdir):
            for path in (folder, *(os.path.join(folder, name) for name in files)):
                os.lchown(path, args.uid, args.uid)
        for path in (args.ipc, *(os.path.join(args.ipc, name) for name in os.listdir(args.ipc))):
            os.lchown(path, args.uid, args.uid)
    # This process stays as the namespace's init and reaps orphans. The command runs one level
    # further down: a kernel whose parent is PID 1 believes its parent died and shuts down.
    # Interrupts (Jupyter signals the whole process group) are for the kernel alone.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if os.fork() == 0:
        _run_as_student(args, root)
    while True:
        try:
            os.wait()
        except ChildProcessError:
            os._exit(0)


def _die_with_parent() -> None:
    """If the grading worker dies (Ctrl-C, a crash), the sandbox and all in it die too."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: no such call, no harm
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _namespaces(root: bool) -> list[str]:
    namespaces = ["--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc"]
    return namespaces if root else ["--user", "--map-root-user", *namespaces]


def _run_as_student(args, root: bool) -> None:
    waiter_child = os.fork()
    if waiter_child:
        _, status = os.waitpid(waiter_child, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _limit(args, separate_user=root)
    if root:
        os.setgroups([])
        os.setgid(args.uid)
        os.setuid(args.uid)
    os.chdir(args.workdir)
    # The kernel's own messages (not the student's output, which goes to the notebook).
    log = os.open(os.path.join(args.ipc, "kernel.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(log, 1)
    os.dup2(log, 2)
    # A clean environment: nothing of the grader's (tokens, database URLs) reaches the student.
    environment = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": args.workdir,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MALICOURSE_ROOT": args.course,
        "OPENBLAS_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    os.execvpe(args.cmd[0], args.cmd, environment)


def _parse(argv):
    parser = argparse.ArgumentParser(prog=MODULE)
    parser.add_argument("--uid", type=int, required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--ipc", required=True)
    parser.add_argument("--course", required=True)
    parser.add_argument("--hide", action="append", default=[])
    for key, value in asdict(Limits()).items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=int, default=value)
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    args.cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    return args


def _has_unshare(namespaces) -> bool:
    try:
        probe = subprocess.run(["unshare", *namespaces, "true"], capture_output=True)
    except FileNotFoundError:
        return False
    return probe.returncode == 0


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


def _private_view(args) -> None:
    """Show the command only what a student may see; everything else is hidden or read-only."""
    course, workdir, ipc = Path(args.course), Path(args.workdir), Path(args.ipc)
    python = Path(sys.base_prefix).resolve()
    package = Path(__file__).resolve().parents[2]  # src/ of the checkout the grader runs from
    kept = [
        python,
        Path(sys.prefix).resolve(),
        package,
        *(course / name for name in STUDENT_VISIBLE if (course / name).exists()),
    ]
    kept = sorted(set(kept), key=lambda path: len(path.parts))
    needed = (course, python, workdir, ipc, *kept)
    stage = next(
        Path(s)
        for s in STAGES
        if Path(s).is_dir() and not any(Path(s) in p.parents for p in needed)
    )
    _mount("--make-rprivate", "/")
    _mount("-t", "tmpfs", "-o", "mode=0700,size=1m", "tmpfs", str(stage))
    # Keep the pieces, cover their parents, put the pieces back.
    holders = []
    for index, path in enumerate([*kept, ipc]):
        holder = stage / str(index)
        holder.mkdir()
        _mount("--bind", str(path), str(holder))
        holders.append((holder, path))
    work = stage / "work"
    work.mkdir()
    _mount("-t", "tmpfs", "-o", f"mode=0755,size={args.workdir_bytes}", "tmpfs", str(work))
    shutil.copytree(workdir, work, symlinks=True, dirs_exist_ok=True)
    holders.append((work, workdir))
    # The checkout the grader runs from is a course folder too, with its own solutions.
    checkout = package.parent
    covers = [Path(c) for c in (*HIDDEN, course, checkout, *args.hide) if Path(c).is_dir()]
    for scratch in (s for s in SCRATCH if Path(s).is_dir()):
        _mount("-t", "tmpfs", "-o", "mode=1777,size=64m", "tmpfs", scratch)
    for cover in covers:
        cover.mkdir(parents=True, exist_ok=True)  # it may have been under /tmp
        _mount("-t", "tmpfs", "-o", "mode=0755,size=1m", "tmpfs", str(cover))
    for holder, path in holders:
        path.mkdir(parents=True, exist_ok=True)
        _mount("--bind", str(holder), str(path))
        if path in kept:
            _mount("-o", "remount,bind,ro", str(path))
    subprocess.run(["umount", "--lazy", str(stage)], check=True, capture_output=True)
    for cover in covers:
        _mount("-o", "remount,ro", str(cover))


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
