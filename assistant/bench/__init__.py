"""Benchmarks: ingest and query speed beside the bare-encode ceiling and LangChain's textbook pipeline.

`assistant bench` runs them (see BENCHMARKS.md); from Python, `assistant.bench.runner.run(BenchConfig(...),
settings)`. Importing this package is cheap: the heavy parts load when a benchmark runs.
"""
