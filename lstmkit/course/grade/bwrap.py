"""Bubblewrap: the sandboxed process in its own namespaces, seeing only what it needs.

:func:`command` wraps the sandboxed process's command line in ``bwrap`` so that it
runs in new PID, network, mount, IPC, UTS, cgroup (and, where allowed, user)
namespaces (``--unshare-all``), in a new session, with no capabilities, dying with
its parent (``--die-with-parent``; and as the PID namespace's processes all die with
its first one, nothing started inside outlives the submission). Its file system is
built from read-only binds:

* ``/usr`` (the C library and system libraries) and the ``/bin``, ``/lib``... links;
* Python's prefixes and the site-packages folders on ``sys.path``;
* the lstmkit package, without its secret half: ``lstmkit/course/exercises/`` (the
  references, mistakes and case generators) is an empty folder inside;

and one writable folder, the submission's own. ``/proc`` is a new one, of the PID
namespace (the host's processes are not there), ``/dev`` holds only the usual
devices, and there is no network but a loopback.

Bubblewrap is a system requirement of the strong fence (``apt-get install
bubblewrap``). :func:`usable` says whether it runs here (the binary exists and the
kernel lets it create the namespaces); without it the sandbox falls back to Landlock,
seccomp, the audit hook and the resource limits. ``LSTMKIT_SANDBOX=fallback`` forces
the fallback (the tests run both), ``LSTMKIT_SANDBOX=bwrap`` requires bubblewrap.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

MODE_VARIABLE = "LSTMKIT_SANDBOX"
PACKAGE = Path(__file__).resolve().parents[2]  # lstmkit/
SECRET = PACKAGE / "course" / "exercises"


class BwrapMissing(RuntimeError):
    """LSTMKIT_SANDBOX=bwrap was asked for, and bubblewrap cannot run here."""


def binary() -> str | None:
    """The path of ``bwrap``, or None."""
    return shutil.which("bwrap")


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            args += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            args += ["--ro-bind", name, name]
    return args + ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]


def _python_roots() -> list[str]:
    """Python's prefixes and site-packages folders not already under /usr, outermost first."""
    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    candidates |= {p for p in sys.path if p and os.path.isdir(p) and "-packages" in p}
    candidates.add(os.path.dirname(os.path.realpath(sys.executable)))
    real = sorted({os.path.realpath(p) for p in candidates}, key=len)
    roots: list[str] = []
    for path in real:
        if path.startswith("/usr/") or path == "/usr":
            continue
        if not any(path.startswith(root.rstrip("/") + "/") for root in roots):
            roots.append(path)
    return roots


def command(argv: list[str], folder: str) -> list[str]:
    """``argv`` run inside bubblewrap with ``folder`` (the submission's) as its only writable place."""
    exe = binary()
    if exe is None:
        raise BwrapMissing("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    args = [exe, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--hostname", "sandbox", *_system_binds()]
    package = str(PACKAGE)
    for root in _python_roots():
        if not package.startswith(root.rstrip("/") + "/"):
            args += ["--ro-bind", root, root]
    args += ["--ro-bind", package, package]
    if SECRET.is_dir():
        args += ["--tmpfs", str(SECRET), "--remount-ro", str(SECRET)]
    args += ["--proc", "/proc", "--dev", "/dev", "--bind", folder, folder, "--chdir", folder, "--", *argv]
    return args


@functools.lru_cache(maxsize=1)
def _runs() -> str:
    """'' when a trial sandbox runs Python here, else why not (cached for the process)."""
    if binary() is None:
        return "bubblewrap (bwrap) is not installed"
    folder = tempfile.mkdtemp(prefix="lstmkit-bwrap-")
    try:
        done = subprocess.run(command([sys.executable, "-I", "-c", "import numpy"], folder),
                              capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap did not start ({error})"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if done.returncode != 0:
        return f"bubblewrap cannot create its namespaces here: {done.stderr.decode(errors='replace').strip()[:200]}"
    return ""


def why_not() -> str:
    """'' when the sandbox will use bubblewrap, else the reason it falls back (or BwrapMissing when required)."""
    mode = os.environ.get(MODE_VARIABLE, "auto")
    if mode == "fallback":
        return f"{MODE_VARIABLE}=fallback"
    reason = _runs()
    if reason and mode == "bwrap":
        raise BwrapMissing(f"{MODE_VARIABLE}=bwrap, but {reason}")
    return reason
