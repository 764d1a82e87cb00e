"""classicx.image: image features (local descriptors, visual vocabularies, encodings).

Every transformer takes a sequence of images — file paths, encoded bytes or
numpy arrays (see :func:`read_image`) — and returns a float32 array with one
row per image. Images with transparency are composited onto a background
(white unless :func:`set_read_options` says otherwise) and images above a
pixel budget are refused before they are decoded (see :mod:`classicx.image.io`).

The local-feature encoders (:class:`BagOfVisualWords`, :class:`SpatialPyramid`,
:class:`VLAD`, :class:`FisherVector`) are composed of two parts given as
estimators: ``descriptor=`` (a :class:`LocalDescriptors`, or its kind as a
string) and ``vocabulary=`` (a :class:`KMeansVocabulary`,
:class:`BinaryKMeansVocabulary` or :class:`GaussianMixtureVocabulary`, or its
number of words as an int)::

    BagOfVisualWords(LocalDescriptors("rootsift", max_side=640), KMeansVocabulary(512))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..utils._lazy import lazy_exports

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .io import ReadOptions, get_read_options, read_image, read_options, set_read_options
    from .descriptors import ImageFeatures, LocalDescriptors, rootsift
    from .normalization import normalize_rows
    from .vocabulary import BinaryKMeansVocabulary, GaussianMixtureVocabulary, KMeansVocabulary
    from .color import ColorHistogram, opponent_channels
    from .bovw import BagOfVisualWords, SoftAssignment
    from .spatial import SpatialPyramid
    from .vlad import VLAD
    from .fisher import FisherVector
    from .rerank import GeometricVerifier
    from .cnn import CNNFeatures

# Public name -> submodule, imported on first use (PEP 562): a model loads only its own stages.
_EXPORTS = {
    "ReadOptions": ".io",
    "get_read_options": ".io",
    "read_image": ".io",
    "read_options": ".io",
    "set_read_options": ".io",
    "ImageFeatures": ".descriptors",
    "LocalDescriptors": ".descriptors",
    "rootsift": ".descriptors",
    "normalize_rows": ".normalization",
    "BinaryKMeansVocabulary": ".vocabulary",
    "GaussianMixtureVocabulary": ".vocabulary",
    "KMeansVocabulary": ".vocabulary",
    "ColorHistogram": ".color",
    "opponent_channels": ".color",
    "BagOfVisualWords": ".bovw",
    "SoftAssignment": ".bovw",
    "SpatialPyramid": ".spatial",
    "VLAD": ".vlad",
    "FisherVector": ".fisher",
    "GeometricVerifier": ".rerank",
    "CNNFeatures": ".cnn",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "read_image",
    "ReadOptions",
    "get_read_options",
    "set_read_options",
    "read_options",
    "ImageFeatures",
    "LocalDescriptors",
    "rootsift",
    "normalize_rows",
    "KMeansVocabulary",
    "BinaryKMeansVocabulary",
    "GaussianMixtureVocabulary",
    "ColorHistogram",
    "opponent_channels",
    "BagOfVisualWords",
    "SoftAssignment",
    "SpatialPyramid",
    "VLAD",
    "FisherVector",
    "GeometricVerifier",
    "CNNFeatures",
]
