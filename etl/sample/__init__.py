"""Synthetic submissions: a realistic, deterministic provincial picture (``mcred sample``).

:func:`write_sample` writes what the 25 institutions might have sent for fiscal years
2021/22 to 2025/26, as the files a ministry actually receives: CSV in several
encodings and delimiters, XLSX with title rows and extra sheets, headers and values
spelled the way each institution spells them (always within the aliases of
``etl.spec``, so everything that should load does).

The picture has a shape worth looking at on the dashboard: uptake grows year on
year; colleges and institutes offer most through continuing education, research
universities offer more for credit, teaching universities sit in between; each
institution leans toward its own fields; a few offerings break the framework rules
(288 hours or more, no assessment, no partner).

And it has the troubles a ministry meets (the *scenario*): institutions that
have not reported yet, files that are rejected, a rejected file followed by a
corrected one, an accepted file superseded by a revised one, a file holding two
fiscal years, an unknown column, a repeated title. Files are named
``<first fiscal year>_<INSTITUTION>_<n>`` so ``mcred load <folder>`` reads a
resubmission after the file it replaces.

Same seed, same bytes: all randomness comes from ``numpy.random.default_rng`` seeded
with the seed (one stream per institution and year, so the scale of one institution
does not shift another's data), and XLSX files carry fixed timestamps.

Generation is column-wise (numpy, then pyarrow for text), so two million offerings
take seconds; big files are written as CSV because writing XLSX cell by cell is slow.

By concern:

- :mod:`etl.sample.scenario`: which files, with which troubles, how many offerings, the seeds;
- :mod:`etl.sample.profiles`: how each sector and institution behaves, and the vocabularies;
- :mod:`etl.sample.generation`: offerings as numpy columns, revisions, deliberate faults;
- :mod:`etl.sample.dialects`: how each institution's files look;
- :mod:`etl.sample.rendering`: columns to the cells a house writes;
- :mod:`etl.sample.writing`: CSV and XLSX files, ``write_sample`` and ``write_submission``.
"""

from etl.sample.dialects import DIALECTS, HEADER_SETS, PERIOD_FORMATS, VALUE_SETS, Dialect, ValueSet
from etl.sample.generation import generate_offerings
from etl.sample.profiles import PARTNERS
from etl.sample.rendering import partner_vocabulary, period_text, render
from etl.sample.scenario import (
    CORRECTED,
    DEFAULT_OFFERINGS,
    DEFAULT_SEED,
    LATE,
    NOT_REPORTED,
    REJECTED_ONLY,
    YEARS,
    PlannedFile,
    pair_sizes,
    plan_files,
)
from etl.sample.writing import RECEIVED_FILE, read_received, write_csv, write_sample, write_submission

__all__ = [
    "CORRECTED",
    "DEFAULT_OFFERINGS",
    "DEFAULT_SEED",
    "DIALECTS",
    "HEADER_SETS",
    "LATE",
    "NOT_REPORTED",
    "PARTNERS",
    "PERIOD_FORMATS",
    "REJECTED_ONLY",
    "VALUE_SETS",
    "YEARS",
    "Dialect",
    "RECEIVED_FILE",
    "PlannedFile",
    "ValueSet",
    "generate_offerings",
    "pair_sizes",
    "partner_vocabulary",
    "period_text",
    "plan_files",
    "read_received",
    "render",
    "write_csv",
    "write_sample",
    "write_submission",
]
