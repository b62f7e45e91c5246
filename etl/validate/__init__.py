"""Check and normalise a submission table column-wise (see :mod:`etl.validate.batch`)."""

from etl.validate.batch import *  # noqa: F403
from etl.validate.batch import Facts, _checks, _typed_expr  # noqa: F401
