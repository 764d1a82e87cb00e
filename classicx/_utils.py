"""Transitional re-exports while the subpackages move to :mod:`classicx.utils` (removed at the end of issue #10)."""

from .utils.parallel import cluster_backend_active, parallel_map, progress, thread_imap
from .utils.validation import check_finite, check_paired

__all__ = ["check_finite", "check_paired", "cluster_backend_active", "parallel_map", "progress", "thread_imap"]
