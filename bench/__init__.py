"""Benchmarks: the whole service in-process against local Postgres, Redis and the Bot API stand-in.

Each benchmark prints what it measured next to its target and exits 0 either way (see bench/README.md).
"""
