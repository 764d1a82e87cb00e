"""The two entry points the estimators call when they are handed a Dask collection."""

from __future__ import annotations

from functools import partial
from typing import Any

from ._compute import require_dask

__all__ = ["dask_fit", "dask_transform"]


def dask_fit(estimator: Any, *args: Any, **kwargs: Any) -> Any:
    """Fit ``estimator`` on Dask collections, the heavy work on the workers.

    This is what ``estimator.fit`` calls when its input is a Dask collection;
    calling ``estimator.fit`` directly is the usual spelling. Supported: on
    dask arrays, ``RegularizedCCA``, ``PLSSVD``, ``ThreeViewCCA``,
    ``MultiviewCCA``, ``KernelCCA`` (Nyström or random-feature maps; the exact
    map only for small inputs, which are gathered), ``SemanticMatching`` and
    ``SemanticCorrelationMatching``; on ``dask.bag`` collections,
    ``TfidfFeatures``, ``TfidfLSA``, the local-feature image encoders
    (``BagOfVisualWords``, ``VLAD``, ``FisherVector``, ...), ``ConcatFeatures``
    of those and ``ColorHistogram`` (the presets' ``"fisher(rootsift,64)+0.5*hsv"``
    and ``"lsa(200)|l2"``) and ``CrossModalRetriever`` (a bag of images and a
    bag of texts).

    Parameters
    ----------
    estimator : classicx estimator
        Fitted in place.
    *args, **kwargs
        The arguments of its ``fit``, dask arrays (or bags) in place of arrays.

    Returns
    -------
    estimator
        Fitted, and an ordinary estimator: it transforms numpy arrays, saves
        and loads as if it had been fitted in memory.

    Examples
    --------
    >>> import dask.array as da
    >>> from classicx.subspace import RegularizedCCA
    >>> X = da.random.default_rng(0).normal(size=(1000, 5), chunks=250)
    >>> Y = X[:, :3] + 0.1 * da.random.default_rng(1).normal(size=(1000, 3), chunks=250)
    >>> cca = RegularizedCCA(n_components=2).fit(X, Y)
    >>> bool(cca.canonical_correlations_[0] > 0.9), type(cca.transform(X)).__name__
    (True, 'Array')
    """
    require_dask()
    from dask.bag import Bag

    from ..retriever import CrossModalRetriever
    from ..spec import ConcatFeatures
    from ..subspace import MultiviewCCA
    from ..text import TfidfFeatures, TfidfLSA

    if isinstance(estimator, CrossModalRetriever):
        from ._retriever import fit_retriever

        return fit_retriever(estimator, *args, **kwargs)
    if isinstance(estimator, ConcatFeatures):
        from ._stages import fit_concat

        return fit_concat(estimator, *args, **kwargs)
    if isinstance(estimator, (TfidfFeatures, TfidfLSA)):
        from ._text import fit_lsa, fit_tfidf

        return (fit_lsa if isinstance(estimator, TfidfLSA) else fit_tfidf)(estimator, *args, **kwargs)
    if args and isinstance(args[0], Bag):
        # Every other estimator fitted on a bag is an image encoder.
        from ._image import fit_encoder

        return fit_encoder(estimator, *args, **kwargs)
    if isinstance(estimator, MultiviewCCA):
        from ._subspace import fit_multiview_views

        return fit_multiview_views(estimator, *args, **kwargs)
    from ._subspace import fit_aligner

    return fit_aligner(estimator, *args, **kwargs)


def dask_transform(estimator: Any, *args: Any) -> Any:
    """Transform Dask arrays block by block on the workers; returns dask arrays (lazy).

    Called by an aligner's ``transform(X, Y=None)`` (``args = (X, Y)``, ``X``
    ``None`` for ``transform_y``) and by ``MultiviewCCA.transform_view(V,
    index)`` (``args = (V, index)``) when handed a dask array.
    """
    require_dask()
    from dask.bag import Bag

    from ..spec import ConcatFeatures
    from ..subspace import MultiviewCCA
    from ..text import TfidfFeatures, TfidfLSA
    from ._subspace import transform_dask

    if isinstance(estimator, ConcatFeatures):
        from ._stages import transform_concat

        return transform_concat(estimator, *args)
    if isinstance(estimator, (TfidfFeatures, TfidfLSA)):
        from ._text import transform_lsa, transform_tfidf

        return (transform_lsa if isinstance(estimator, TfidfLSA) else transform_tfidf)(estimator, *args)
    if isinstance(args[0], Bag):
        # Every other estimator that takes a bag is an image encoder.
        from ._image import transform_images

        return transform_images(estimator, *args)
    if isinstance(estimator, MultiviewCCA):
        V, index = args
        return transform_dask(estimator, partial(estimator.transform_view, index=index), V)
    X, Y = args
    outs = []
    for method, V in (("transform", X), ("transform_y", Y)):
        if V is None:
            continue
        func = getattr(estimator, method)
        outs.append(transform_dask(estimator, func, V) if _is_dask(V) else func(V))
    return outs[0] if len(outs) == 1 or X is None else tuple(outs)


def _is_dask(V: Any) -> bool:
    from dask import is_dask_collection

    return is_dask_collection(V)
