"""Benchmarks: how far our commands are from the floor, the same work done by bare DuckDB.

Run ``python -m benchmarks [--offerings N] [--only NAME ...]`` (``make bench``). Each
measurement lives in a module of ``benchmarks.measurements`` and registers itself
with :func:`benchmarks.registry.measurement`; adding a measurement is adding one
function in a new module there. Generated data goes to ``benchmarks/work/``
(git-ignored) and is reused between runs.
"""
