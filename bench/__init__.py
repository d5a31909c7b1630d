"""Benchmarks: how fast sysreview is and how it grows, each figure beside the floor it is compared to."""
