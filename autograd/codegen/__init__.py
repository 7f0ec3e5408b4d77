"""Code from a graph: compile's straight-line Python, per-sample kernels, machine code."""
