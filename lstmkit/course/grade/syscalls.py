"""A seccomp filter for the sandboxed process: no new processes, no programs, no sockets.

:func:`install` (called in the sandboxed process after its imports and Landlock,
before the audit hook and any learner code) loads a filter built with libseccomp
(its own Python bindings, ``seccomp``, or ``pyseccomp``, the same API over ctypes)
into every thread of the process, for good. The kernel then answers ``EPERM`` to:

* creating a process: ``fork``, ``vfork``, ``clone`` without ``CLONE_THREAD``
  (threads stay allowed); ``clone3`` answers ``ENOSYS``, so that the C library
  falls back to ``clone``, whose flags the filter can read;
* running a program: ``execve``, ``execveat``;
* sockets of every family: ``socket``, ``socketpair``;
* signals to any process but itself (``kill``, ``tgkill`` with another pid;
  ``tkill``, ``pidfd_*``), tracing and reading other processes' memory;
* changing namespaces, mounts, keyrings, BPF programs, ``io_uring``, ``userfaultfd``.

This holds whatever route the learner's code finds to the system call (``ctypes`` is
refused by the audit hook, but ``_posixsubprocess.fork_exec`` raises no audit event);
the audit hook still gives the readable refusals for the routes it sees.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
from collections.abc import Iterator
from types import ModuleType

#: system calls refused outright
REFUSED = (
    "fork", "vfork", "execve", "execveat", "socket", "socketpair", "tkill", "pidfd_open",
    "pidfd_send_signal", "pidfd_getfd", "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
    "fsmount", "fspick", "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "keyctl", "add_key", "request_key", "kexec_load", "kexec_file_load",
    "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff", "acct",
    "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
)
CLONE_THREAD = 0x00010000


SONAMES = {"c": "libc.so.6", "seccomp": "libseccomp.so.2"}  #: tried before ctypes.util runs ldconfig


@functools.lru_cache(maxsize=1)
def library() -> ModuleType | None:
    """libseccomp's Python API (``seccomp`` or ``pyseccomp``), or None when neither loads."""
    for name in ("seccomp", "pyseccomp"):
        try:
            with _quick_find_library():
                module = __import__(name)
            module.system_arch()  # the call needs libseccomp itself
            return module
        except (ImportError, OSError, AttributeError, RuntimeError):  # pyseccomp: no libseccomp.so found
            continue
    return None


@contextlib.contextmanager
def _quick_find_library() -> Iterator[None]:
    """``ctypes.util.find_library`` answering the usual sonames at once (it starts ``ldconfig`` otherwise)."""
    import ctypes  # noqa: PLC0415  (before the audit hook, which refuses ctypes)
    import ctypes.util  # noqa: PLC0415

    real = ctypes.util.find_library

    def find_library(name: str) -> str | None:
        soname = SONAMES.get(name)
        if soname is not None:
            try:
                ctypes.CDLL(soname)
                return soname
            except OSError:
                pass
        return real(name)

    ctypes.util.find_library = find_library
    try:
        yield
    finally:
        ctypes.util.find_library = real


def available() -> bool:
    """True when a filter can be built here (libseccomp and its bindings are installed)."""
    return library() is not None


def install(own_pid: int | None = None) -> None:
    """Load the filter into this process (all its threads); raises OSError when it cannot."""
    seccomp = library()
    if seccomp is None:
        raise OSError(errno.ENOSYS, "libseccomp or its Python bindings (pyseccomp) are not installed")
    pid = os.getpid() if own_pid is None else own_pid
    refuse = seccomp.ERRNO(errno.EPERM)
    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    rules.set_attr(seccomp.Attr.CTL_TSYNC, 1)
    for name in REFUSED:
        try:
            rules.add_rule(refuse, name)
        except (OSError, ValueError, RuntimeError):  # a call this architecture does not have
            continue
    rules.add_rule(refuse, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_THREAD, 0))
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    rules.add_rule(refuse, "kill", seccomp.Arg(0, seccomp.NE, pid))
    rules.add_rule(refuse, "tgkill", seccomp.Arg(0, seccomp.NE, pid))
    rules.load()
