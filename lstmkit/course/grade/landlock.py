"""Linux Landlock for the sandboxed process: a kernel-enforced fence under the audit hook.

:func:`restrict` (called in the sandboxed process after its imports, before the
audit hook and any learner code) creates a Landlock ruleset through ``ctypes``
system calls and applies it to the process for good: files may be read (and
executed, mapped) only beneath the given read-only folders, and read and written
only beneath the sandbox folder; TCP bind/connect are refused (ABI 4+); signals
and abstract Unix sockets cannot reach processes outside the sandbox (ABI 6+,
which stops ``os.kill`` of the grader at the kernel).

Where the kernel has no Landlock (ABI < 1), or the architecture's system call
numbers are unknown, nothing happens and :func:`restrict` returns 0: the audit
hook stays the fence. Any other failure raises, so that a half-built ruleset is
never mistaken for a sandbox.
"""

from __future__ import annotations

import ctypes
import os
import platform
from collections.abc import Iterable

_SYSCALLS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446)}  # create_ruleset, add_rule, restrict_self
_PR_SET_NO_NEW_PRIVS = 38
_RULE_PATH_BENEATH = 1
_VERSION_FLAG = 1  # LANDLOCK_CREATE_RULESET_VERSION

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
READ_ONLY = EXECUTE | READ_FILE | READ_DIR


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _syscall(libc: ctypes.CDLL, number: int, *args: object) -> int:
    libc.syscall.restype = ctypes.c_long
    result = libc.syscall(ctypes.c_long(number), *args)
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"Landlock system call {number} failed: {os.strerror(errno)}")
    return result


def abi_version() -> int:
    """The kernel's Landlock ABI version (0: none, or an unknown architecture)."""
    numbers = _SYSCALLS.get(platform.machine())
    if numbers is None:
        return 0
    try:
        return _syscall(_libc(), numbers[0], None, ctypes.c_size_t(0), ctypes.c_uint32(_VERSION_FLAG))
    except OSError:
        return 0


def _handled_fs(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1: execute ... make_sym
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def restrict(read_only: Iterable[str], read_write: Iterable[str]) -> int:
    """Confine this process (for good) to reading ``read_only`` and using ``read_write``.

    Returns the ABI version applied, 0 when the kernel has no Landlock.
    """
    abi = abi_version()
    if abi < 1:
        return 0
    create, add_rule, restrict_self = _SYSCALLS[platform.machine()]
    libc = _libc()
    fs = _handled_fs(abi)
    attr = _RulesetAttr(fs, 3 if abi >= 4 else 0, 3 if abi >= 6 else 0)  # TCP bind+connect; signal+abstract unix
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = _syscall(libc, create, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    try:
        rules = [(p, READ_ONLY) for p in read_only] + [(p, fs) for p in read_write]
        for path, access in rules:
            if not os.path.exists(path):
                continue
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                allowed = access & fs if os.path.isdir(path) else access & fs & _FILE_RIGHTS
                rule = _PathBeneath(allowed, fd)
                _syscall(libc, add_rule, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                         ctypes.byref(rule), ctypes.c_uint32(0))
            finally:
                os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        _syscall(libc, restrict_self, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
    return abi
