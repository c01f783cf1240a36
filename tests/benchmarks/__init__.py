"""Tests of the benchmarks: each runs once at a tiny size; nothing is timed."""
