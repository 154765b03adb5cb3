"""kcbot: the self-service text bot for Jobcenter København's contact centre."""

from __future__ import annotations

import os

# numpy's OpenBLAS starts a worker thread per core when it loads, and an idle worker waits for
# work by spinning: ~0.1 s of a core's time in every start, taken from the main thread on a
# busy machine (a tenth of a cold start's wall time here). kcbot's BLAS work is one message's
# features times a small matrix, which OpenBLAS does on one thread anyway. So one thread,
# unless the environment chose otherwise; set before anything of kcbot imports numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from kcbot import lazy, regexcache  # noqa: E402
from kcbot.errors import ConfigError, DataError, KcbotError, StoreError

lazy.install()  # before anything of kcbot imports rasa_sdk
regexcache.prime()  # before anything of kcbot compiles a pattern

__version__ = "0.1.0"

__all__ = ["ConfigError", "DataError", "KcbotError", "StoreError", "__version__"]
