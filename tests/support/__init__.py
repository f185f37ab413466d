"""Harness the tests and the benchmarks share: databases, server processes, free ports."""
