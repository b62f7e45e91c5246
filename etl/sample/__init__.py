"""Synthetic submissions (``mcred sample``), see :mod:`etl.sample.generation`."""

from etl.sample.generation import *  # noqa: F403
from etl.sample.generation import _partner_vocabulary, _period_text  # noqa: F401
