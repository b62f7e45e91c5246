"""The registry of measurements, and what a measurement is given and returns."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Context:
    """What every measurement is given."""

    offerings: int  # the scale: rows in a generated submission, offerings in a generated sample
    repeat: int  # how many times each timing is taken (the median is reported)
    work_dir: Path  # generated data and scratch databases
    seed: int = 2024


@dataclass(frozen=True)
class Result:
    ours_seconds: float
    floor_seconds: float | None  # the same work done by bare DuckDB; None when there is no such floor
    peak_mb: float | None  # our peak resident memory, where relevant
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.ours_seconds / self.floor_seconds if self.floor_seconds else None


@dataclass(frozen=True)
class Measurement:
    name: str
    description: str
    run: Callable[[Context], Result]
    max_ratio: float | None = None  # bar: ours / floor at most this
    max_peak_mb: float | None = None  # bar: peak memory at most this
    max_seconds: float | None = None  # bar: our time at most this

    def missed_bars(self, result: Result) -> list[str]:
        """The bars this result misses, in words (empty: all met)."""
        missed = []
        if self.max_ratio is not None and result.ratio is not None and result.ratio > self.max_ratio:
            missed.append(f"ratio {result.ratio:.2f} > {self.max_ratio:g}")
        if self.max_peak_mb is not None and result.peak_mb is not None and result.peak_mb > self.max_peak_mb:
            missed.append(f"peak {result.peak_mb:.0f} MB > {self.max_peak_mb:g} MB")
        if self.max_seconds is not None and result.ours_seconds > self.max_seconds:
            missed.append(f"{result.ours_seconds:.1f} s > {self.max_seconds:g} s")
        return missed

    def bars(self) -> str:
        parts = []
        if self.max_ratio is not None:
            parts.append(f"<= {self.max_ratio:g}x")
        if self.max_peak_mb is not None:
            parts.append(f"<= {self.max_peak_mb:g} MB")
        if self.max_seconds is not None:
            parts.append(f"<= {self.max_seconds:g} s")
        return ", ".join(parts) or "-"


MEASUREMENTS: dict[str, Measurement] = {}


def measurement(
    name: str,
    description: str,
    *,
    max_ratio: float | None = None,
    max_peak_mb: float | None = None,
    max_seconds: float | None = None,
) -> Callable[[Callable[[Context], Result]], Callable[[Context], Result]]:
    """Register ``fn(context) -> Result`` under ``name``."""

    def register(fn: Callable[[Context], Result]) -> Callable[[Context], Result]:
        if name in MEASUREMENTS:
            raise ValueError(f"two measurements are named {name!r}")
        MEASUREMENTS[name] = Measurement(name, description, fn, max_ratio, max_peak_mb, max_seconds)
        return fn

    return register


def discover() -> dict[str, Measurement]:
    """Import every module of benchmarks.measurements, so each registers its measurements."""
    from benchmarks import measurements

    for module in pkgutil.iter_modules(measurements.__path__):
        importlib.import_module(f"{measurements.__name__}.{module.name}")
    return MEASUREMENTS
