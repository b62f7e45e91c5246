"""mcred: the command line (``mcred.cli``), the /submit portal's work (``mcred.portal``)."""

import os

# numpy's OpenBLAS starts a thread per core when numpy is imported, and each spins for about
# 0.1 s of CPU before it sleeps: beside a load that is a core's tenth of a second taken from
# pyarrow and DuckDB. mcred does no linear algebra; a value set by the user is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
