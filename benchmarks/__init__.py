"""Benchmarks: figures printed for the closing notes, never asserted by tests."""
