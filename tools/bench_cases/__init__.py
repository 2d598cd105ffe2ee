"""Benchmark cases: one module per capability, each with ``TITLE`` and ``run(bench)`` (see tools/bench.py)."""
