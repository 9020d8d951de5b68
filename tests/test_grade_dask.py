"""lstmkit grade on a Dask cluster: the same results as the local process pool."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from lstmkit.course.grade.batch import Settings, grade_submissions
from lstmkit.course.grade.sandbox import Limits

distributed = pytest.importorskip("distributed", reason="Dask's distributed scheduler is not installed")

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("grading_corpus", ROOT / "tests" / "submissions" / "corpus.py")
corpus = sys.modules.get("grading_corpus") or importlib.util.module_from_spec(_spec)
if "grading_corpus" not in sys.modules:
    sys.modules["grading_corpus"] = corpus
    _spec.loader.exec_module(corpus)

FAST = Settings(seed=1, limits=Limits(exercise_timeout=2.0, submission_timeout=20.0, memory_mb=1024))
CASES = ("reference", "blank", "segfault", "os_exit", "fake_passed", "invalid_json")


def test_dask_scheduler_gives_the_same_results_as_the_local_pool(tmp_path):
    folder = tmp_path / "subs"
    for case in CASES:
        (folder / case).mkdir(parents=True)
        (folder / case / f"{corpus.STEM}.ipynb").write_bytes(corpus.submission(case))
    local = grade_submissions([folder], tmp_path / "local", FAST, workers=2)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        remote = grade_submissions([folder], tmp_path / "dask", FAST, scheduler=cluster.scheduler_address)
    assert remote.graded == local.graded and len(remote.graded) == len(CASES)
    for name in ("results.json", "gradebook.csv"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    assert "segfault,0,2,2" in (tmp_path / "dask" / "gradebook.csv").read_text()
