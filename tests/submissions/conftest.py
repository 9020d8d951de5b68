"""The grading corpus is hostile on purpose (infinite loops, memory bombs, segfaults):
pytest must never collect its notebooks (``--nbval`` would run them in a kernel), nor
the generator script."""

collect_ignore_glob = ["corpus/*", "corpus.py"]
