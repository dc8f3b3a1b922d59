"""Benchmarks of the signalling server against baselines (see docs/performance.md)."""
