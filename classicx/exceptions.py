"""Exceptions and warnings raised by classicx.

Every error is a :class:`ClassicxError` and also a subclass of the matching
built-in exception (``ValueError``, ``TypeError``, ``OSError``), so code that
already catches the built-ins keeps working. Messages say what was expected,
what was found and which item (file path, row index) is at fault.
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as _SklearnNotFittedError
from sklearn.utils._param_validation import InvalidParameterError as _SklearnInvalidParameterError

__all__ = [
    "ClassicxError",
    "InputError",
    "ParameterError",
    "InputTypeError",
    "ShapeMismatchError",
    "EmptyInputError",
    "NonFiniteError",
    "ImageReadError",
    "TextReadError",
    "MissingFileError",
    "DatasetError",
    "NotFittedError",
    "ModelFormatError",
    "ModelWriteError",
    "BackendUnavailableError",
    "ClassicxWarning",
    "SkippedItemsWarning",
    "EmptyFeatureWarning",
]


class ClassicxError(Exception):
    """Base class of every exception raised by classicx."""


class InputError(ClassicxError, ValueError):
    """An argument has the right type but an invalid value."""


class ParameterError(InputError, _SklearnInvalidParameterError):
    """A constructor parameter has a value outside its documented range or choices.

    Raised by ``fit`` (parameters are stored unchecked by ``__init__``, as in
    scikit-learn). Also a scikit-learn ``InvalidParameterError``, hence both a
    ``ValueError`` and a ``TypeError``.
    """


class InputTypeError(ClassicxError, TypeError):
    """An argument, or one item of it, has a type classicx cannot use."""


class ShapeMismatchError(InputError):
    """Arrays or collections that must agree in length or width do not."""


class EmptyInputError(InputError):
    """A collection that must hold at least one item is empty."""


class NonFiniteError(InputError):
    """An array holds NaN or infinity (the message names the first bad row)."""


class ImageReadError(ClassicxError, OSError):
    """An image file or buffer is missing, empty, truncated or not an image."""


class TextReadError(ClassicxError, OSError):
    """A text file is missing or cannot be decoded."""


class MissingFileError(ClassicxError, FileNotFoundError):
    """A file that a dataset or model refers to does not exist."""


class DatasetError(ClassicxError, ValueError):
    """A dataset directory or list file is malformed."""


class NotFittedError(ClassicxError, _SklearnNotFittedError):
    """An estimator was used before ``fit``.

    Subclasses scikit-learn's ``NotFittedError`` so that
    ``sklearn.utils.validation.check_is_fitted`` semantics carry over.
    """


class ModelFormatError(ClassicxError, ValueError):
    """A saved model directory is damaged, foreign or of an unknown version."""


class ModelWriteError(ClassicxError, OSError):
    """A model cannot be saved where asked (a file, a foreign directory, no write permission)."""


class BackendUnavailableError(ClassicxError, ImportError):
    """An optional backend (faiss, hnswlib, jieba, ...) is not installed."""


class ClassicxWarning(UserWarning):
    """Base class of every warning emitted by classicx."""


class SkippedItemsWarning(ClassicxWarning):
    """Some items were skipped on request (``on_error="skip"``/``"drop"``)."""


class EmptyFeatureWarning(ClassicxWarning):
    """Some items produced no features and were given an all-zero vector."""
