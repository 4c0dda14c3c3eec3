"""Benchmarks: plain scripts (`python -m tests.bench.<name>`) that print figures; not collected by pytest."""
