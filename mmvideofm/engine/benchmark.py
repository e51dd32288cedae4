"""Benchmark registry: plugins add named benchmarks that ``tools/benchmark.py`` runs.

A benchmark is ``fn(argv: list[str]) -> dict`` returning measured numbers; the
tool prints them as JSON. Names are ``<plugin>/<name>``; the tool imports
``projects.<plugin>`` to register them.
"""
from __future__ import annotations

from collections.abc import Callable

BenchmarkFn = Callable[[list[str]], dict]
BENCHMARKS: dict[str, BenchmarkFn] = {}


def register_benchmark(name: str) -> Callable[[BenchmarkFn], BenchmarkFn]:
    def wrap(fn: BenchmarkFn) -> BenchmarkFn:
        BENCHMARKS[name] = fn
        return fn

    return wrap
