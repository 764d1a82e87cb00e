"""Row normalisations of image encodings (L1, L2, power, Hellinger)."""

from __future__ import annotations

import numpy as np

from ..utils.validation import check_choice

__all__ = ["normalize_rows", "NORMALIZATIONS"]

NORMALIZATIONS = (None, "l1", "l2", "power", "hellinger")


def normalize_rows(X: np.ndarray, method: str | None, *, alpha: float = 0.5) -> np.ndarray:
    """Normalise each row of ``X``; all-zero rows stay zero (never NaN).

    Parameters
    ----------
    X : ndarray (n, d)
    method : {None, "l1", "l2", "power", "hellinger"}
        ``"l1"``: divide by the sum of absolute values. ``"l2"``: divide by
        the Euclidean norm. ``"power"``: signed power ``sign(x) |x|^alpha``
        followed by L2 (Perronnin et al. 2010). ``"hellinger"``: L1, then
        signed square root — the explicit feature map of the Hellinger kernel;
        rows end with unit L2 norm.
    alpha : float, default=0.5
        Exponent of ``"power"``.

    Returns
    -------
    ndarray of float32 (n, d)

    Examples
    --------
    >>> import numpy as np
    >>> from classicx.image import normalize_rows
    >>> normalize_rows(np.array([[3.0, 1.0], [0.0, 0.0]]), "hellinger")
    array([[0.8660254, 0.5      ],
           [0.       , 0.       ]], dtype=float32)
    """
    check_choice(method, NORMALIZATIONS, "normalize")
    X = np.array(X, dtype=np.float32)
    if method is None:
        return X
    if method == "power":
        X = np.sign(X) * np.abs(X) ** np.float32(alpha)
    if method in ("l1", "hellinger"):
        norms = np.abs(X).sum(axis=1, keepdims=True)
    else:
        norms = np.sqrt(np.einsum("ij,ij->i", X, X))[:, None]
    X = np.divide(X, norms, out=np.zeros_like(X), where=norms > 0)
    if method == "hellinger":
        X = np.sign(X) * np.sqrt(np.abs(X))
    return X
