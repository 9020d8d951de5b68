"""The sandboxed process's own fences: resource limits and audit hooks.

Runs inside the learner's process, before any learner code. :func:`set_limits`
lowers soft *and* hard limits (they cannot be raised again); :func:`install`
adds an audit hook (``sys.addaudithook``; it cannot be removed) that refuses,
with a ``PermissionError`` naming the event:

* opening, listing, creating, renaming or deleting files outside the sandbox
  folder, except *reading* Python's own files and site-packages (imports need
  them) -- never the lstmkit package's sources (the gates, the references): all
  of lstmkit that the learner's code may use is imported before the hook;
* starting processes (``subprocess``, ``os.system``, ``os.exec*``, ``os.spawn*``,
  ``os.posix_spawn``, ``os.fork``), sending signals (``os.kill``), ``ctypes``
  (loading libraries, reading raw memory), sockets, new audit hooks, changing
  limits, leaving the folder with ``os.chdir``;
* importing modules the exercises forbid (``torch``) or the course's private
  modules (references, the registry, the judge).

What it does not stop (see docs/grading.md): code already imported (NumPy's C
routines, lstmkit's own functions) can do anything it could before; a learner can
corrupt its own process (that costs only its own outputs). The limits and the
grader's wall-clock kill bound what it can consume.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
from collections.abc import Iterable

REFUSED_PREFIXES = (
    "subprocess.", "os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "os.forkpty",
    "os.kill", "os.killpg", "signal.pthread_kill", "ctypes.", "socket.", "sys.addaudithook",
    "resource.setrlimit", "resource.prlimit", "winreg.", "_winapi.", "pty.", "os.startfile",
    "sys.remote_exec", "os.setuid", "os.setgid",
)
WRITE_EVENTS = {
    "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.symlink",
    "os.link", "os.truncate", "os.utime", "os.chflags", "os.lchflags", "os.setxattr",
    "os.removexattr", "shutil.rmtree", "shutil.move", "shutil.copyfile", "shutil.copymode",
    "shutil.copystat", "shutil.chown", "os.chdir", "shutil.make_archive", "shutil.unpack_archive",
}
_PR_SET_PDEATHSIG = 1
READ_EVENTS = {"os.listdir", "os.scandir", "os.listxattr", "os.getxattr", "glob.glob"}


def set_limits(cpu_seconds: int, memory_mb: int, file_mb: int = 64, open_files: int = 64) -> None:
    """Lower CPU time, address space, file size, open files and core size (soft = hard)."""
    for limit, value in (
        (resource.RLIMIT_CPU, cpu_seconds),
        (resource.RLIMIT_AS, memory_mb * 2**20),
        (resource.RLIMIT_FSIZE, file_mb * 2**20),
        (resource.RLIMIT_NOFILE, open_files),
        (resource.RLIMIT_CORE, 0),
    ):
        _soft, hard = resource.getrlimit(limit)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(limit, (value, value))


def die_with_parent(parent_pid: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (PR_SET_PDEATHSIG); die now if it has.

    ``parent_pid`` 0: inside bubblewrap's PID namespace, where ``--die-with-parent`` does this.
    """
    if not parent_pid or not sys.platform.startswith("linux"):
        return
    import ctypes  # noqa: PLC0415  (before the audit hook, which refuses ctypes)

    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(70)


def _inside(path: str, roots: Iterable[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


class Fence:
    """The audit hook: one sandbox folder (read-write), read-only roots, denied roots."""

    def __init__(self, sandbox: str, read_roots: Iterable[str], denied: Iterable[str], blocked_imports: Iterable[str]):
        self.sandbox = os.path.realpath(sandbox)
        self.read_roots = tuple(os.path.realpath(r) for r in read_roots)
        self.denied = tuple(os.path.realpath(d) for d in denied)
        self.blocked_imports = tuple(blocked_imports)

    def refuse(self, what: str) -> None:
        raise PermissionError(f"the grading sandbox does not allow {what}")

    def check_path(self, path: object, write: bool, event: str) -> None:
        if isinstance(path, int) or path is None:
            return  # an already-open file descriptor
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not isinstance(path, str):
            path = os.fspath(path)  # type: ignore[arg-type]
        real = os.path.realpath(path)  # relative to the real current folder
        if _inside(real, (self.sandbox,)):
            return
        if write or not _inside(real, self.read_roots) or _inside(real, self.denied):
            self.refuse(f"{'writing' if write else 'reading'} {path} ({event}): only the submission's own folder is open")

    def __call__(self, event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = args
            writing = bool(mode and any(c in mode for c in "wax+")) or bool(
                flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC)
            )
            self.check_path(path, writing, "open")
        elif event in WRITE_EVENTS:
            for arg in args[:2]:
                if isinstance(arg, str | bytes | os.PathLike):
                    self.check_path(arg, True, event)
        elif event in READ_EVENTS:
            if args and isinstance(args[0], str | bytes | os.PathLike):
                self.check_path(args[0], False, event)
        elif event == "import":
            name = args[0]
            if any(name == b or name.startswith(b + ".") for b in self.blocked_imports):
                self.refuse(f"importing {name}")
        elif event.startswith(REFUSED_PREFIXES):
            self.refuse(event)


def read_roots() -> list[str]:
    """Python's own files and site-packages: readable, for imports."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    roots |= {p for p in sys.path if p and os.path.isdir(p) and "site-packages" in p}
    roots |= {"/dev/null", "/dev/urandom", "/usr/lib", "/usr/lib64", "/usr/share/zoneinfo"}
    return sorted(roots)


def install(sandbox: str, blocked_imports: Iterable[str] = ()) -> Fence:
    """Install the fence for ``sandbox`` (the current folder); returns it."""
    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # lstmkit/: stays closed
    fence = Fence(sandbox, read_roots(), denied=[package], blocked_imports=("lstmkit.course", *blocked_imports))
    sys.dont_write_bytecode = True
    sys.addaudithook(fence)
    return fence
