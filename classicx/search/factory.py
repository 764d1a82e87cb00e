"""Build a searcher from a short spec string, in the spirit of faiss's ``index_factory``."""

from __future__ import annotations

from typing import Any

from ..exceptions import InputError
from .annoy_backend import AnnoySearcher
from .base import BaseSearcher
from .exact import ExactSearcher
from .faiss_backend import FaissSearcher
from .hnswlib_backend import HnswlibSearcher

__all__ = ["make_searcher"]

_KEYED = {"exact": ExactSearcher, "hnswlib": HnswlibSearcher, "annoy": AnnoySearcher}


def _value(text: str) -> Any:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text.strip()


def _options(text: str, sep: str, spec: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in text.split(sep))):
        if "=" not in item:
            raise InputError(f"searcher spec {spec!r}: expected name=value, got {item!r}")
        name, value = item.split("=", 1)
        out[name.strip()] = _value(value)
    return out


def make_searcher(spec: str = "exact", metric: str = "cosine", **params: Any) -> BaseSearcher:
    """Create a searcher from a spec string.

    Parameters
    ----------
    spec : str, default="exact"
        ``backend[:options]``:

        * ``"exact"`` or ``"exact:chunk_size=8192,batch_size=256"``:
          :class:`ExactSearcher`.
        * ``"faiss:INDEX"`` or ``"faiss:INDEX;nprobe=16"``: :class:`FaissSearcher`
          with the faiss ``index_factory`` string ``INDEX`` (e.g. ``Flat``,
          ``IVF256,Flat``, ``HNSW32``, ``IVF256,PQ16``) and optional search
          parameters after ``;``.
        * ``"hnswlib"`` or ``"hnswlib:M=32,ef_search=128"``: :class:`HnswlibSearcher`.
        * ``"annoy"`` or ``"annoy:n_trees=100,search_k=5000"``: :class:`AnnoySearcher`.
        * ``"lsh"`` or ``"lsh:nbits=512,rerank=10"``: random-hyperplane LSH
          (faiss ``IndexLSH`` on a random rotation, ``nbits`` default 256);
          with ``rerank=r`` the best ``r * k`` Hamming candidates are
          re-scored exactly.
    metric : str, default="cosine"
    **params
        Further constructor parameters of the chosen class; they override
        options in ``spec``.

    Returns
    -------
    BaseSearcher
        An unfitted searcher.

    See Also
    --------
    ExactSearcher, FaissSearcher, HnswlibSearcher, AnnoySearcher : the classes it builds.

    Examples
    --------
    >>> from classicx.search import make_searcher
    >>> make_searcher("faiss:IVF256,Flat;nprobe=16", metric="euclidean")
    FaissSearcher(index='IVF256,Flat', metric='euclidean', search_params={'nprobe': 16})
    >>> make_searcher("hnswlib:M=32")
    HnswlibSearcher(M=32)
    """
    if not isinstance(spec, str):
        raise InputError(f"searcher spec must be a string such as 'faiss:HNSW32'; got {spec!r}")
    backend, _, rest = spec.partition(":")
    backend = backend.strip().lower()
    if backend in _KEYED:
        options = _options(rest, ",", spec)
        cls = _KEYED[backend]
    elif backend == "faiss":
        index, _, search = rest.partition(";")
        options = {"index": index.strip() or "HNSW32"}
        if search.strip():
            options["search_params"] = _options(search, ",", spec)
        cls = FaissSearcher
    elif backend == "lsh":
        lsh = _options(rest, ",", spec)
        unknown = set(lsh) - {"nbits", "rerank"}
        if unknown:
            raise InputError(f"searcher spec {spec!r}: lsh takes nbits and rerank, not {sorted(unknown)}")
        nbits, rerank = lsh.get("nbits", 256), lsh.get("rerank", 0)
        options = {"index": f"LSH{nbits}r" + (",RFlat" if rerank else "")}
        if rerank:
            options["search_params"] = {"k_factor_rf": rerank}
        cls = FaissSearcher
    else:
        raise InputError(
            f"unknown searcher backend {backend!r} in spec {spec!r}; expected one of "
            "'exact', 'faiss', 'hnswlib', 'annoy', 'lsh'"
        )
    options.update(params)
    options["metric"] = metric
    try:
        return cls(**options)
    except TypeError as exc:
        raise InputError(f"searcher spec {spec!r}: {exc}") from exc
