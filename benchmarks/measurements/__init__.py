"""One module per area (load, dashboard, export...); every module here is imported by
``benchmarks.registry.discover`` and registers its measurements."""
