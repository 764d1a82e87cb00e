"""Lazy public names for a subpackage (PEP 562), so that a query imports only the code it runs.

A fitted model names its estimators by their public path (``classicx.subspace.RegularizedCCA``);
with eager ``__init__`` files, loading it imported every learner of the subpackage and, through
them, scikit-learn's clustering, linear models and kernel approximation and OpenCV, about a
second before the first text query (issue #15). With :func:`lazy_exports`, ``classicx.subspace``
imports ``cca.py`` when ``RegularizedCCA`` is first asked for, and nothing else.

Hand-written rather than taken from ``lazy_loader`` (scientific-python): that package would be a
new core dependency for the fifteen lines below, and its stub-file mode needs ``.pyi`` files.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` whose names live in submodules.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping of str to str
        Public name to the relative name of the submodule defining it (``{"PCA": "._pca"}``).
        A public name may not equal its submodule's name: importing that submodule from
        anywhere would bind the module, not the object, to the package attribute.

    Returns
    -------
    getattr, dir : callables
        Assign them to the package's ``__getattr__`` and ``__dir__``.

    Examples
    --------
    >>> from classicx.utils._lazy import lazy_exports
    >>> getattr_, dir_ = lazy_exports("classicx.utils", {"limit_threads": ".parallel"})
    >>> getattr_("limit_threads").__name__
    'limit_threads'
    """
    for name, module in exports.items():
        if module.rsplit(".", 1)[-1] == name:
            raise ValueError(f"{package}.{name} has the name of its own submodule; import it eagerly")

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
