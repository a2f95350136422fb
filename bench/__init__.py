"""Benchmarks: each compares the platform with a baseline in the same run and writes JSON."""
