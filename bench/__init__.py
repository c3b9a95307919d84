"""Benchmarks: run with `python -m bench.<name>`; figures and how to reproduce them in BENCHMARKS.md."""
