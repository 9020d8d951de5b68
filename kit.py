#!/usr/bin/env python3
"""Set up lstmkit in ./.venv and run it: the two commands of the README.

    python3 kit.py course     # set up, then open the course in JupyterLab
    python3 kit.py test       # set up, then run the whole test suite

Only the Python standard library is used here, so this works on a fresh machine
with Python 3.10+ and the network. Both commands are idempotent: the virtual
environment is created once and reinstalled only when pyproject.toml changes.
Extra arguments go to JupyterLab or pytest (``python3 kit.py test -k gates``).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / "lstmkit-installed.json"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
FIRST_LESSON = "notebooks/00_start_here.ipynb"
EXTRAS = {"course": "course", "test": "test", "instructor": "instructor"}


def say(message: str) -> None:
    print(f"[lstmkit] {message}", flush=True)


def run(*command: object) -> None:
    subprocess.run([str(c) for c in command], check=True, cwd=ROOT)


def setup(extra: str) -> None:
    """Create ./.venv and install lstmkit with ``extra`` unless that is already done."""
    if sys.version_info < (3, 10):  # noqa: UP036  (kit.py may be run by an older python3)
        sys.exit(f"lstmkit needs Python 3.10 or newer; this is {sys.version.split()[0]}. "
                 "Run this script with a newer python3.")
    if not PYTHON.exists():
        say(f"creating a virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
    fingerprint = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    done = json.loads(STAMP.read_text()) if STAMP.exists() else {}
    if fingerprint in (done.get(extra), done.get("test")):  # "test" includes every other extra
        return
    say(f"installing lstmkit[{extra}] and its dependencies (first time only; a few minutes)")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", f".[{extra}]")
    done[extra] = fingerprint
    STAMP.write_text(json.dumps(done, indent=1))
    say("set-up complete")


def course_command(args: list[str], root: Path = ROOT) -> list[str]:
    """The ``jupyter lab`` command that ``course`` runs: the URL it prints opens lesson 0.

    JupyterLab prints its default URL with the token; pointing that URL at
    ``/lab/tree/<first lesson>`` makes the printed address land on lesson 0 rather than
    on the Launcher. A notebook given in ``args`` is opened instead; ``root`` is the folder served.
    """
    command = [str(BIN / "jupyter"), "lab", "--ip=127.0.0.1", f"--ServerApp.root_dir={root}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses root without it (e.g. in containers)
    if not os.environ.get("DISPLAY") and sys.platform.startswith("linux"):
        command.append("--no-browser")
    notebooks = [arg for arg in args if arg.endswith(".ipynb") and not arg.startswith("-")]
    first = notebooks[0] if notebooks else FIRST_LESSON
    command.append(f"--LabApp.default_url=/lab/tree/{Path(first).as_posix()}")
    command += [arg for arg in args if arg not in notebooks]
    return command


def course(args: list[str]) -> None:
    """Open the course in JupyterLab on this machine; prints the URL to open (lesson 0)."""
    setup("course")
    command = course_command(args)
    say(f"starting JupyterLab; open the http://127.0.0.1:.../lab/tree/{FIRST_LESSON} URL printed below "
        "(Ctrl+C stops it)")
    os.chdir(ROOT)
    os.execv(command[0], command)


def test(args: list[str]) -> None:
    """Run the whole test suite (notebooks included) with pytest."""
    setup("test")
    env = dict(os.environ)
    env.setdefault("LSTMKIT_QUICK", "1")  # notebooks train briefly, still asserting learning
    env.setdefault("PYTHONHASHSEED", "0")
    command = [str(PYTHON), "-m", "pytest", *args]
    say("running: " + " ".join(command[2:]))
    sys.exit(subprocess.run(command, cwd=ROOT, env=env).returncode)


def main(argv: list[str]) -> None:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return
    command, args = argv[0], argv[1:]
    if command == "course":
        course(args)
    elif command == "test":
        test(args)
    elif command == "setup":
        setup(EXTRAS.get(args[0] if args else "test", "test"))
    else:
        sys.exit(f"unknown command {command!r}; use 'course', 'test' or 'setup' (see --help)")


if __name__ == "__main__":
    main(sys.argv[1:])
