"""Lazy public names for a subpackage (PEP 562), so that a query imports only the code it runs.

A fitted model names its estimators by their public path (``classicx.subspace.RegularizedCCA``);
with eager ``__init__`` files, loading it imported every learner of the subpackage and, through
them, scikit-learn's clustering, linear models and kernel approximation and OpenCV, about a
second before the first text query (issue #15). With :func:`lazy_exports`, ``classicx.subspace``
imports ``cca.py`` when ``RegularizedCCA`` is first asked for, and nothing else.

:class:`LazyModule` does the same for a heavy dependency used inside a module: OpenCV is imported
at the first image decoded or described, not when a model with image stages is loaded for a text
query (about 25 ms of ``classicx search --text``).

Hand-written rather than taken from ``lazy_loader`` (scientific-python): that package would be a
new core dependency for the lines below, and its stub-file mode needs ``.pyi`` files. The
standard library's ``importlib.util.LazyLoader`` puts a half-made module into ``sys.modules``,
which OpenCV's own loader (it replaces its package module while importing) does not survive.
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


class LazyModule:
    """Stands for the module ``name``, imported at the first use of one of its attributes.

    Each attribute is looked up once and then kept on this object, so later
    uses cost a plain attribute look-up.

    Examples
    --------
    >>> from classicx.utils._lazy import LazyModule
    >>> json = LazyModule("json")
    >>> json.dumps([1])
    '[1]'
    """

    def __init__(self, name: str) -> None:
        self._lazy_name = name

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):  # copy, pickle and introspection probe these: not the module's
            raise AttributeError(attr)
        value = getattr(importlib.import_module(self._lazy_name), attr)
        setattr(self, attr, value)
        return value

    def __repr__(self) -> str:
        return f"<module {self._lazy_name!r}, imported at first use>"
