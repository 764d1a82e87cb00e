"""classicx.utils: helpers shared by every stage.

- :mod:`classicx.utils.validation` — the one validation layer (parameters,
  arrays, labels, texts, images), raising :mod:`classicx.exceptions` classes.
- :mod:`classicx.utils.parallel` — progress bars and parallel maps.
"""

from . import parallel, validation

__all__ = ["parallel", "validation"]
