"""The one validation layer of classicx.

Every estimator checks its parameters and its input here, on top of
scikit-learn's own machinery (``_parameter_constraints``,
:func:`sklearn.utils.validation.check_array`,
:func:`sklearn.utils.validation.validate_data`). What scikit-learn raises is
re-raised as a :mod:`classicx.exceptions` class, keeping scikit-learn's wording
(so that its estimator checks recognise it) and adding what is at fault: the
estimator, the parameter, the argument and the first offending row.

Examples
--------
>>> import numpy as np
>>> from classicx.utils.validation import check_array
>>> check_array([[1, 2], [3, 4]], name="X", dtype=np.float64).dtype
dtype('float64')
>>> check_array([[1.0, np.nan]], name="gallery")
Traceback (most recent call last):
...
classicx.exceptions.NonFiniteError: gallery holds NaN or infinity in 1 row(s); first at row 0
"""

from __future__ import annotations

import functools
import math
import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_array as _sk_check_array
from sklearn.utils.validation import check_is_fitted as _sk_check_is_fitted
from sklearn.utils.validation import validate_data as _sk_validate_data

from ..exceptions import (
    EmptyInputError,
    InputError,
    InputTypeError,
    NonFiniteError,
    NotFittedError,
    ParameterError,
    ShapeMismatchError,
)

__all__ = [
    "validate_params",
    "check_array",
    "validate_data",
    "check_is_fitted",
    "check_finite",
    "check_magnitude",
    "magnitude_limit",
    "check_paired",
    "check_labels",
    "check_choice",
    "check_n_components",
    "check_positive_int",
    "check_texts",
    "MAX_TEXT_CHARS",
    "check_images",
]


def _owner(estimator: Any) -> str:
    return "" if estimator is None else f"{type(estimator).__name__}: "


def validate_params(estimator: Any) -> None:
    """Check ``estimator``'s parameters against its ``_parameter_constraints``.

    Called at the start of ``fit`` (``__init__`` stores parameters unchecked,
    as in scikit-learn). Estimators without constraints pass.

    Raises
    ------
    ParameterError
        Naming the parameter, what it must be and what it is (scikit-learn's
        wording).

    Examples
    --------
    >>> from sklearn.decomposition import TruncatedSVD
    >>> validate_params(TruncatedSVD(n_components=0))
    Traceback (most recent call last):
    ...
    classicx.exceptions.ParameterError: The 'n_components' parameter of TruncatedSVD must be ...
    """
    if not getattr(estimator, "_parameter_constraints", None):
        return
    try:
        estimator._validate_params()
    except InvalidParameterError as exc:
        raise ParameterError(str(exc)) from None


def check_finite(X: Any, name: str = "X") -> None:
    """Raise :class:`~classicx.exceptions.NonFiniteError` naming the first row holding NaN or infinity.

    Works on dense arrays and scipy sparse matrices; non-float arrays pass.
    """
    if sp.issparse(X):
        csr = sp.csr_array(X)
        if csr.dtype.kind not in "fc":
            return
        bad = np.flatnonzero(~np.isfinite(csr.data))
        if len(bad):
            rows = np.unique(np.searchsorted(csr.indptr, bad, side="right") - 1)
            raise NonFiniteError(
                f"{name} holds NaN or infinity in {len(rows)} row(s); first at row {int(rows[0])}"
            )
        return
    X = np.asarray(X)
    if X.dtype.kind not in "fc":
        return
    finite = np.isfinite(X)
    if not finite.all():
        if X.ndim > 1:
            rows = np.flatnonzero(~finite.reshape(len(X), -1).all(axis=1))
        else:
            rows = np.flatnonzero(~finite)
        raise NonFiniteError(f"{name} holds NaN or infinity in {len(rows)} row(s); first at row {int(rows[0])}")


# How far below the largest float the scatter (or Gram, or squared-distance) sums of a
# checked array must stay: a learner adds, centres and regularises on top of them.
_MAGNITUDE_MARGIN = 16.0


def magnitude_limit(dtype: Any, n_samples: int, n_features: int) -> float:
    """Largest absolute value :func:`check_magnitude` accepts in an array of this dtype and shape.

    ``sqrt(finfo(dtype).max / (n_samples * n_features)) / 16``: then every
    sum of ``n_samples`` or ``n_features`` products of two centred values
    (a covariance or Gram entry, a squared distance; centring at most doubles
    a value) stays 64 times below the largest float. For float64 and a
    million rows of a thousand features this is about 2.7e148.

    Examples
    --------
    >>> f"{magnitude_limit(np.float64, 30, 5):.2e}"
    '6.84e+151'
    """
    return _magnitude_limit(np.dtype(dtype), int(n_samples), int(n_features))


@functools.lru_cache(maxsize=256)
def _magnitude_limit(dtype: np.dtype, n_samples: int, n_features: int) -> float:
    # Cached: a query checks arrays of the same few shapes again and again, and finfo and
    # sqrt cost more than the min and max of a 1 x 32 query row (issue #15).
    largest = float(np.finfo(dtype if dtype.kind == "f" else np.float64).max)
    return float(np.sqrt(largest / max(1, n_samples * n_features)) / _MAGNITUDE_MARGIN)


def check_magnitude(X: Any, name: str = "X") -> None:
    """Refuse values so large that the array's scatter matrix would overflow.

    Features around 1e200 are finite, but their covariance (or Gram matrix,
    or squared distances) is not: without this check the learners fail deep
    inside LAPACK ("array must not contain infs or NaNs") or return NaN.
    The bound is :func:`magnitude_limit`; float arrays only (dense or sparse),
    checked by :func:`check_array` with ``ensure_all_finite=True``.

    Raises
    ------
    NonFiniteError
        Naming the array, the first offending row and the limit.

    Examples
    --------
    >>> check_magnitude(np.array([[1.0, 2.0], [3.0, 1e200]]), name="Y")
    Traceback (most recent call last):
    ...
    classicx.exceptions.NonFiniteError: Y holds values too large to compute with (|1e+200| at row 1; ...
    """
    if sp.issparse(X):
        csr = sp.csr_array(X)
        values, shape = csr.data, csr.shape
    else:
        values = np.asarray(X)
        shape = values.shape
    if values.dtype.kind != "f" or values.size == 0:
        return
    n_samples, n_features = _rows_and_features(shape)
    limit = magnitude_limit(values.dtype, n_samples, n_features)
    # Two reductions without a temporary, instead of np.abs(values).max().
    if max(-float(values.min()), float(values.max())) <= limit:
        return
    flat = np.flatnonzero(np.abs(values.ravel()) > limit)
    if sp.issparse(X):
        rows = np.unique(np.searchsorted(csr.indptr, flat, side="right") - 1)
    else:
        rows = np.unique(flat // max(1, n_features))
    value = float(values.ravel()[flat[0]])
    raise NonFiniteError(
        f"{name} holds values too large to compute with (|{abs(value):.3g}| at row {int(rows[0])}; "
        f"{len(rows)} row(s) above {limit:.3g}, the limit for {n_samples} x {n_features} {values.dtype} "
        "values, beyond which their covariance overflows): rescale the features"
    )


def _rows_and_features(shape: tuple[int, ...]) -> tuple[int, int]:
    """Rows and values per row of an array of this shape, as :func:`magnitude_limit` counts them."""
    n_samples = shape[0] if len(shape) else 1
    n_features = math.prod(shape[1:]) if len(shape) > 1 else 1  # math: np.prod costs 5 us
    return n_samples, n_features


def _finite_within_limit(X: Any) -> bool:
    """Whether ``X`` passes both :func:`check_finite` and :func:`check_magnitude`, in two reductions.

    The minimum and maximum of a float array are NaN when it holds a NaN and
    infinite when it holds an infinity, so one bound test on them covers both
    checks; only an array that fails it goes through them (for their message).
    Half the reductions of running the two (``isfinite`` makes a boolean
    temporary the size of the array), which is most of the checking of a
    query row (issue #15).
    """
    if sp.issparse(X):
        if X.format not in ("csr", "csc"):
            return False  # other formats may hold duplicate entries, summed by the full checks
        values = X.data
        n_samples, n_features = X.shape
    else:
        values = X
        if type(values) is not np.ndarray:
            return False
        n_samples, n_features = _rows_and_features(values.shape)
    if values.dtype.kind != "f":
        return values.dtype.kind != "c"  # integers and booleans are finite; complex: the full checks
    if values.size == 0:
        return True
    limit = _magnitude_limit(values.dtype, int(n_samples), int(n_features))
    return bool(-limit <= values.min() and values.max() <= limit)


def _is_complex(X: Any) -> bool:
    if sp.issparse(X):
        return X.dtype.kind == "c"
    dtype = getattr(X, "dtype", None)
    if dtype is not None:
        return np.dtype(dtype).kind == "c"
    try:
        return np.asarray(X).dtype.kind == "c"
    except (TypeError, ValueError):
        return False


def _translate(exc: Exception, name: str, prefix: str) -> Exception:
    """A classicx exception for what scikit-learn's ``check_array`` raised."""
    message = f"{prefix}{name}: {exc}" if name not in str(exc) else f"{prefix}{exc}"
    text = str(exc)
    if isinstance(exc, TypeError) and ("parse" in text or "Sparse" in text or "sparse" in text or "dtype" in text):
        return InputTypeError(message)
    if "feature(s)" in text or "sample(s)" in text:
        return EmptyInputError(message)
    if "Expected 2D array" in text or "Expected a 2-dimensional" in text or "dim" in text:
        return ShapeMismatchError(message)
    if "could not convert" in text or "dtype" in text or "numeric" in text or "string" in text:
        return InputTypeError(message)
    if isinstance(exc, TypeError):
        return InputTypeError(message)
    return InputError(message)


def check_array(
    X: Any,
    *,
    name: str = "X",
    estimator: Any = None,
    dtype: Any = "numeric",
    accept_sparse: bool | str | Sequence[str] = False,
    ensure_2d: bool = True,
    ensure_min_samples: int = 1,
    ensure_min_features: int = 1,
    allow_nd: bool = False,
    copy: bool = False,
    ensure_all_finite: bool = True,
) -> Any:
    """:func:`sklearn.utils.validation.check_array` with classicx errors.

    Parameters
    ----------
    X : array-like or sparse matrix
    name : str, default="X"
        What the argument is called in messages (``"gallery"``, ``"Y"``, ...).
    estimator : estimator, optional
        Named at the start of every message.
    dtype, accept_sparse, ensure_2d, ensure_min_samples, ensure_min_features, allow_nd, copy
        As in scikit-learn.
    ensure_all_finite : bool, default=True
        Refuse NaN and infinity, and values so large that a covariance of
        them would overflow (:func:`check_magnitude`), naming the first bad row.

    Returns
    -------
    ndarray or sparse matrix

    Raises
    ------
    NonFiniteError
        NaN or infinity, or values beyond :func:`magnitude_limit` (the first
        bad row is named).
    InputError
        Complex values ("Complex data not supported").
    EmptyInputError
        No rows or no columns (scikit-learn's "Found array with 0 sample(s)" wording).
    InputTypeError
        A sparse matrix where dense data is required, or values that are not numbers.
    ShapeMismatchError
        Wrong number of dimensions.

    Examples
    --------
    >>> import numpy as np
    >>> check_array(np.zeros((3, 0)), name="gallery")
    Traceback (most recent call last):
    ...
    classicx.exceptions.EmptyInputError: gallery: Found array with 0 feature(s) (shape=(3, 0)) while a minimum of 1 is required.
    """
    prefix = _owner(estimator)
    if X is None:
        raise InputTypeError(f"{prefix}{name} is None; expected an array")
    if _is_complex(X):
        raise InputError(f"{prefix}Complex data not supported: {name} holds complex values")
    if sp.issparse(X) and not accept_sparse:
        raise InputTypeError(
            f"{prefix}Sparse data was passed for {name}, but dense data is required "
            "(convert it with .toarray(), or project sparse features first, e.g. with classicx.text.TfidfLSA)"
        )
    target = _plain_float_target(X, dtype, ensure_min_samples, ensure_min_features, copy)
    if target is not None:  # what scikit-learn's check_array would return, without its ~0.3 ms per call
        if target == X.dtype:
            out = X
        else:
            # An overflow when casting to a narrower float is reported below, naming the row.
            with np.errstate(over="ignore"):
                out = X.astype(target)
    else:
        out = _converted(X, name, prefix, estimator, dtype, accept_sparse, ensure_2d, allow_nd,
                         ensure_min_samples, ensure_min_features, copy)
    if ensure_all_finite and not _finite_within_limit(out):
        try:
            check_finite(out, name)
            check_magnitude(out, name)
        except NonFiniteError as exc:
            given = getattr(X, "dtype", None)
            narrowed = (
                given is not None and np.dtype(given).kind == "f" and getattr(out, "dtype", given).kind == "f"
                and np.dtype(given).itemsize > out.dtype.itemsize
            )
            hint = (
                f" (after conversion to {out.dtype}, whose values end at {np.finfo(out.dtype).max:.3g}: "
                "larger ones became infinite)" if narrowed and "NaN or infinity" in str(exc) else ""
            )
            raise NonFiniteError(f"{prefix}{exc}{hint}") from None
    return out


def _plain_float_target(X: Any, dtype: Any, min_samples: int, min_features: int, copy: bool) -> np.dtype | None:
    """The dtype scikit-learn's ``check_array`` would give a plain 2-D float ndarray ``X``, or ``None``.

    The single-query path checks a few arrays per query; scikit-learn's function
    spends about 0.3 ms on each (array-API and dataframe detection), far more than
    the query's arithmetic. For a plain 2-D float ndarray its result is ``X``
    itself or ``X`` cast to the requested float dtype (the first of a list that
    does not hold ``X``'s), which this path computes directly. Anything else
    (subclasses, integers, sparse, 1-D or n-D, too few rows, a copy asked for)
    returns ``None`` and goes through scikit-learn.
    """
    if type(X) is not np.ndarray or X.dtype.kind != "f" or copy or X.ndim != 2:
        return None
    if X.shape[0] < min_samples or X.shape[1] < min_features:
        return None
    if dtype is None or (isinstance(dtype, str) and dtype == "numeric"):
        return X.dtype
    try:
        wanted = [np.dtype(d) for d in (dtype if isinstance(dtype, (list, tuple)) else [dtype])]
    except TypeError:
        return None
    if not wanted or any(d.kind != "f" for d in wanted):
        return None
    return X.dtype if X.dtype in wanted else wanted[0]


def _converted(
    X: Any, name: str, prefix: str, estimator: Any, dtype: Any, accept_sparse: Any, ensure_2d: bool,
    allow_nd: bool, ensure_min_samples: int, ensure_min_features: int, copy: bool,
) -> Any:
    """scikit-learn's ``check_array`` (finiteness left to the caller), its errors as classicx's."""
    try:
        # An overflow when casting to a narrower float is reported below, naming the row.
        with np.errstate(over="ignore"), warnings.catch_warnings():
            warnings.filterwarnings("ignore", "overflow encountered in cast", RuntimeWarning)
            return _sk_check_array(
                X,
                accept_sparse=accept_sparse,
                dtype=dtype,
                ensure_2d=ensure_2d,
                allow_nd=allow_nd,
                ensure_min_samples=ensure_min_samples,
                ensure_min_features=ensure_min_features,
                copy=copy,
                ensure_all_finite=False,
                input_name=name,
                estimator=estimator,
            )
    except (ValueError, TypeError) as exc:
        raise _translate(exc, name, prefix) from None


def validate_data(
    estimator: Any,
    X: Any,
    Y: Any = None,
    *,
    reset: bool = True,
    x_name: str = "X",
    y_name: str = "Y",
    **check_params: Any,
) -> Any:
    """Check ``X`` (and ``Y``) for ``estimator`` and record or check ``n_features_in_``.

    With ``reset=True`` (in ``fit``) the number of columns of ``X`` is stored
    in ``n_features_in_``; with ``reset=False`` (in ``transform``) ``X`` must
    have that many, as in :func:`sklearn.utils.validation.validate_data`.
    ``Y``, the second view of a two-view estimator, is checked with the same
    options and may be 1-D (a single feature); it must have as many rows as
    ``X``.

    Returns
    -------
    X, or the pair ``(X, Y)`` when ``Y`` is given.

    Raises
    ------
    ShapeMismatchError
        ``X`` has another number of features than at fit time ("X has 3
        features, but RegularizedCCA is expecting 4 features as input"), or
        ``X`` and ``Y`` differ in length.
    """
    prefix = _owner(estimator)
    X = check_array(X, name=x_name, estimator=estimator, **check_params)
    if not reset and type(X) is np.ndarray and X.ndim == 2 and not hasattr(estimator, "feature_names_in_"):
        # scikit-learn's check for a plain array without column names, minus its ~0.3 ms of
        # dataframe detection per call (the single-query path, issue #15); same message.
        expected = getattr(estimator, "n_features_in_", None)
        if expected is not None and X.shape[1] != expected:
            raise ShapeMismatchError(
                f"{prefix}X has {X.shape[1]} features, but {type(estimator).__name__} "
                f"is expecting {expected} features as input."
            )
    else:
        try:
            _sk_validate_data(estimator, X, reset=reset, skip_check_array=True)
        except ValueError as exc:
            raise ShapeMismatchError(f"{prefix}{exc}") from None
    if Y is None:
        return X
    y_params = dict(check_params)
    y_params["ensure_2d"] = False
    Y = check_array(Y, name=y_name, estimator=estimator, **y_params)
    if Y.ndim not in (1, 2):
        raise ShapeMismatchError(f"{prefix}{y_name} must be 1-D or 2-D; got shape {Y.shape}")
    if Y.shape[0] != X.shape[0]:
        raise ShapeMismatchError(
            f"{prefix}{x_name} and {y_name} must be paired row by row: Found input variables with "
            f"inconsistent numbers of samples: [{X.shape[0]}, {Y.shape[0]}]"
        )
    return X, Y


def check_is_fitted(estimator: Any, attributes: str | Sequence[str] | None = None) -> None:
    """Raise :class:`~classicx.exceptions.NotFittedError` unless ``estimator`` is fitted.

    Uses scikit-learn's rule (``__sklearn_is_fitted__``, or any attribute
    ending in ``_``), or the given ``attributes``.

    Examples
    --------
    >>> from sklearn.decomposition import TruncatedSVD
    >>> check_is_fitted(TruncatedSVD())
    Traceback (most recent call last):
    ...
    classicx.exceptions.NotFittedError: This TruncatedSVD instance is not fitted yet. Call 'fit' ...
    """
    if not isinstance(estimator, type) and hasattr(estimator, "fit") and _looks_fitted(estimator, attributes):
        # scikit-learn's answer for a fitted estimator, without its tag look-ups (about 20 us, a
        # few times per query, issue #15). Anything else goes to scikit-learn, which raises or
        # lets an estimator tagged ``requires_fit=False`` pass.
        return
    try:
        _sk_check_is_fitted(estimator, attributes)
    except _SklearnNotFittedError as exc:
        raise NotFittedError(str(exc)) from None


def _looks_fitted(estimator: Any, attributes: str | Sequence[str] | None) -> bool:
    """scikit-learn's fitted test (the rule :func:`check_is_fitted` documents), on the instance only."""
    if attributes is not None:
        names = [attributes] if isinstance(attributes, str) else attributes
        return all(hasattr(estimator, name) for name in names)
    if hasattr(estimator, "__sklearn_is_fitted__"):
        return bool(estimator.__sklearn_is_fitted__())
    return any(name.endswith("_") and not name.startswith("__") for name in vars(estimator))


def check_paired(n_first: int, n_second: int, first: str = "images", second: str = "texts") -> None:
    """Raise unless two aligned collections have the same, non-zero length.

    Examples
    --------
    >>> check_paired(3, 2)
    Traceback (most recent call last):
    ...
    classicx.exceptions.ShapeMismatchError: images and texts must be paired row by row: got 3 images and 2 texts
    """
    if n_first != n_second:
        raise ShapeMismatchError(
            f"{first} and {second} must be paired row by row: got {n_first} {first} and {n_second} {second}"
        )
    if n_first == 0:
        raise EmptyInputError(f"no {first} or {second} given: at least one pair is needed")


def check_labels(
    labels: Any, n_samples: int, *, name: str = "labels", allow_multilabel: bool = True
) -> np.ndarray:
    """Validate category labels for ``n_samples`` rows.

    Parameters
    ----------
    labels : array-like of shape (n_samples,) or (n_samples, n_labels)
        Integer categories (floats with whole values are accepted), or, with
        ``allow_multilabel``, a 0/1 indicator matrix (one column per label).
    n_samples : int
        The number of rows the labels must have.
    name : str, default="labels"
    allow_multilabel : bool, default=True

    Returns
    -------
    ndarray
        int64 of shape (n_samples,) for categories; bool of shape
        (n_samples, n_labels) for an indicator matrix.

    Examples
    --------
    >>> check_labels([0, 1.0, 2], 3)
    array([0, 1, 2])
    >>> check_labels([[1, 0], [1, 1]], 2).dtype
    dtype('bool')
    """
    if labels is None:
        raise InputTypeError(f"{name} is None; expected one label per row ({n_samples})")
    if sp.issparse(labels):
        labels = labels.toarray()
    try:
        arr = np.asarray(labels)
    except (TypeError, ValueError) as exc:
        raise InputTypeError(f"{name} cannot be read as an array: {exc}") from None
    if arr.ndim == 2 and not allow_multilabel:
        raise ShapeMismatchError(f"{name} must be 1-D (one category per row); got shape {arr.shape}")
    if arr.ndim not in (1, 2):
        raise ShapeMismatchError(
            f"{name} must be 1-D (one category per row) or a 2-D 0/1 indicator matrix; got shape {arr.shape}"
        )
    if len(arr) != n_samples:
        raise ShapeMismatchError(f"{name} has {len(arr)} rows but there are {n_samples} samples")
    if arr.dtype.kind == "b":
        return arr.astype(np.int64) if arr.ndim == 1 else arr.astype(bool)
    if arr.dtype.kind not in "iuf":
        raise InputTypeError(f"{name} must hold integers (or 0/1 indicators); got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            row = int(np.flatnonzero(bad.reshape(len(arr), -1).any(axis=1))[0])
            raise InputError(f"{name}[{row}] is {arr[row].tolist()!r}: labels must be whole numbers")
    if arr.ndim == 2:
        outside = (arr != 0) & (arr != 1)
        if outside.any():
            row = int(np.flatnonzero(outside.any(axis=1))[0])
            raise InputError(f"{name} is 2-D, so it must be a 0/1 indicator matrix; row {row} holds {arr[row].tolist()!r}")
        return arr.astype(bool)
    return arr.astype(np.int64)


def check_choice(value: Any, choices: Sequence[Any], name: str) -> Any:
    """Return ``value`` if it is one of ``choices``; else raise :class:`~classicx.exceptions.ParameterError`.

    Examples
    --------
    >>> check_choice("l2", ("l1", "l2"), "norm")
    'l2'
    """
    try:
        ok = value in choices
    except TypeError:
        ok = False
    if not ok:
        raise ParameterError(f"The {name!r} parameter must be one of {list(choices)}. Got {value!r} instead.")
    return value


def check_positive_int(value: Any, name: str) -> int:
    """Return ``value`` as an int if it is an integer (not a bool) of at least 1.

    Examples
    --------
    >>> check_positive_int(3, "k")
    3
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(f"The {name!r} parameter must be a positive integer. Got {value!r} instead.")
    return int(value)


def check_n_components(n_components: Any, limit: int, reason: str) -> int:
    """Return ``n_components`` as an int if ``1 <= n_components <= limit``.

    ``reason`` says where the limit comes from ("min(n_samples, n_features)").

    Examples
    --------
    >>> check_n_components(5, 3, "the rank of X")
    Traceback (most recent call last):
    ...
    classicx.exceptions.InputError: n_components=5 is larger than 3, the rank of X
    """
    n = check_positive_int(n_components, "n_components")
    if n > limit:
        raise InputError(f"n_components={n} is larger than {limit}, {reason}")
    return n


#: Longest text classicx accepts, in characters: inline texts (:func:`check_texts`),
#: text files (:func:`classicx.utils.documents.read_text`) and CSV cells. Ten million
#: characters is some 20 novels; a longer "text" is almost surely a wrong file.
MAX_TEXT_CHARS = 10_000_000


def check_texts(
    texts: Any, *, name: str = "texts", allow_empty: bool = False, max_chars: int | None = MAX_TEXT_CHARS
) -> list[str]:
    """Validate a collection of texts: a sequence whose items are all ``str``.

    Empty and whitespace-only strings are valid texts. A single string is
    refused (it would be read as a sequence of characters), and so are
    ``None`` and other types, naming the first bad row. So is a text longer
    than ``max_chars`` characters (:data:`MAX_TEXT_CHARS`; ``None`` for no limit).

    Examples
    --------
    >>> check_texts(("a", ""))
    ['a', '']
    >>> check_texts("one string")
    Traceback (most recent call last):
    ...
    classicx.exceptions.InputTypeError: texts must be a sequence of strings, got a single str; wrap it in a list
    """
    if isinstance(texts, (str, bytes)):
        raise InputTypeError(
            f"{name} must be a sequence of strings, got a single {type(texts).__name__}; wrap it in a list"
        )
    if texts is None:
        raise InputTypeError(f"{name} must be a sequence of strings, got None")
    try:
        texts = list(texts)
    except TypeError:
        raise InputTypeError(f"{name} must be a sequence of strings, got {type(texts).__name__}") from None
    for row, text in enumerate(texts):
        if not isinstance(text, str):
            hint = " (read files with classicx.text.read_text first)" if isinstance(text, os.PathLike) else ""
            raise InputTypeError(f"{name}[{row}] is {type(text).__name__}, expected str{hint}")
        if max_chars is not None and len(text) > max_chars:
            raise InputError(
                f"{name}[{row}] has {len(text):,} characters, above the limit of {max_chars:,} "
                "(classicx.utils.validation.MAX_TEXT_CHARS); split long documents into passages"
            )
    if not texts and not allow_empty:
        raise EmptyInputError(f"no {name} given: at least one is needed")
    return texts


def check_images(images: Any, *, name: str = "images", allow_empty: bool = False) -> list:
    """Validate a collection of images: a sequence of paths, encoded bytes or arrays.

    A single path, bytes object or 2-D/3-D array is refused (wrap one image
    in a list); a 4-D array is a stack of images. Items themselves are checked
    when they are read (:func:`classicx.image.read_image`).

    Examples
    --------
    >>> len(check_images(["a.jpg", "b.png"]))
    2
    >>> check_images("a.jpg")
    Traceback (most recent call last):
    ...
    classicx.exceptions.InputTypeError: images must be a sequence of images (paths, arrays or bytes), not a single str; wrap one image in a list
    """
    if isinstance(images, (str, bytes, os.PathLike)) or (isinstance(images, np.ndarray) and images.ndim != 4):
        raise InputTypeError(
            f"{name} must be a sequence of images (paths, arrays or bytes), not a single "
            f"{type(images).__name__}; wrap one image in a list"
        )
    if images is None:
        raise InputTypeError(f"{name} must be a sequence of images, got None")
    try:
        images = list(images)
    except TypeError:
        raise InputTypeError(f"{name} must be a sequence of images, got {type(images).__name__}") from None
    if not images and not allow_empty:
        raise EmptyInputError(f"no {name} given: at least one is needed")
    return images
