"""Fit, index and search on a Dask cluster (the ``dask`` extra: ``pip install "classicx[dask]"``).

Estimators accept Dask collections the way dask-ml's do: hand them a
``dask.array`` (or a ``dask.bag`` of paths or texts, for the encoders) and the
heavy work runs on the workers of the active ``distributed.Client`` (or
Dask's local scheduler), while only small results travel back:

* :class:`~classicx.subspace.RegularizedCCA`, :class:`~classicx.subspace.PLSSVD`,
  :class:`~classicx.subspace.ThreeViewCCA`, :class:`~classicx.subspace.MultiviewCCA`,
  :class:`~classicx.subspace.KernelCCA` (Nyström) and
  :class:`~classicx.subspace.SemanticCorrelationMatching` compute their sufficient
  statistics (sums and cross-products, ``d x d`` whatever the number of rows)
  block by block on the workers, merge them by a tree reduction and solve the
  small eigenproblem on the client. ``transform`` of a dask array returns a
  dask array. The fitted estimator is an ordinary one: it saves, loads and
  transforms numpy arrays as before.
* :class:`ShardedSearcher` splits a gallery over the workers, searches every
  shard where it lives and merges the per-shard top-k exactly.
* :class:`~classicx.CrossModalRetriever` fits on bags of images and texts
  (:meth:`classicx.datasets.Split.to_bag`), with the stages a preset fills
  recorded as in memory (``preset_stages_``): the default preset,
  ``"balanced"``, runs on a cluster as it is. The text and image encoders take
  ``dask.bag`` collections (TF-IDF and LSA from per-partition counts and a
  randomised SVD, the visual vocabulary from per-partition samples), and so
  does :class:`~classicx.spec.ConcatFeatures` of them with the colour
  histogram (``"fisher(rootsift,64)+0.5*hsv"``, ``"lsa(200)|l2"``). A stage
  without a Dask path (CNN or sentence embeddings, LDA, word vectors, MMD or
  Gram alignment, ``preset="auto"``) is refused before any work, by name.
* :func:`client_from_spec` opens a client from ``"tcp://HOST:8786"`` or
  ``"local:N"``; :func:`fit_on_cluster` is what ``classicx fit --scheduler`` runs.

Importing this package does not import Dask; :func:`is_dask_collection` tells
a Dask collection apart without importing it either, so that the estimators'
dispatch costs nothing when Dask is not installed.

Examples
--------
>>> import numpy as np
>>> from classicx.distributed import is_dask_collection
>>> is_dask_collection(np.zeros(3))
False
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

__all__ = [
    "ShardedSearcher",
    "client_from_spec",
    "dask_fit",
    "dask_transform",
    "fit_on_cluster",
    "is_dask_collection",
]

_LAZY = {
    "ShardedSearcher": "._search",
    "client_from_spec": "._client",
    "fit_on_cluster": "._client",
    "dask_fit": "._dispatch",
    "dask_transform": "._dispatch",
}


def is_dask_collection(*objs: Any) -> bool:
    """Whether any of ``objs`` is a Dask collection (array, bag, dataframe, delayed).

    Dask is never imported here: an object can only be a Dask collection if
    Dask was imported already.

    Parameters
    ----------
    *objs : object

    Returns
    -------
    bool
    """
    if "dask" not in sys.modules:
        return False
    from dask import is_dask_collection as _is

    return any(_is(obj) for obj in objs)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'classicx.distributed' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
