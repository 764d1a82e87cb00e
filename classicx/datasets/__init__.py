"""classicx.datasets: paired image-text collections (layer 0 of the data flow).

Every loader returns a :class:`Dataset` holding a ``train`` and a ``test``
:class:`Split` of aligned images, texts, labels and ids.

- :func:`load_synthetic` — the built-in default: rendered shape scenes with
  generated captions (:func:`make_scene`, :func:`render_scene`,
  :func:`describe_scene` build single scenes).
- :func:`load_wikipedia_layout` — the layout of the Wikipedia cross-modal
  dataset (Rasiwasia et al., 2010).
- :func:`load_csv` — a CSV/TSV table of image paths, texts, labels and splits.
- :func:`load_folder` — one folder per category with ``<name>.jpg`` + ``<name>.txt``.
- :func:`load_dataset` — picks one of the three loaders from the path.
"""

from ._collection import load_csv, load_dataset, load_folder
from ._containers import Dataset, Split
from ._files import IMAGE_EXTENSIONS
from ._synthetic import SHAPES, Scene, describe_scene, load_synthetic, make_scene, render_scene
from ._wikipedia import load_wikipedia_layout

__all__ = [
    "Dataset",
    "Split",
    "SHAPES",
    "Scene",
    "make_scene",
    "render_scene",
    "describe_scene",
    "load_synthetic",
    "load_wikipedia_layout",
    "load_csv",
    "load_folder",
    "load_dataset",
    "IMAGE_EXTENSIONS",
]
