"""`assistant eval ...`: run datasets through the assistant, benchmark retrieval, calibrate, compare runs.

One module per command; `common` holds what they share.
"""

from ..dataset import DatasetError
from . import calibrate, compare, retrieval, run, validate  # noqa: F401 - each registers its command
from .common import eval_group

__all__ = ["DatasetError", "eval_group"]
