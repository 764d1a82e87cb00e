"""classicx.image: image features (local descriptors, visual vocabularies, encodings).

Every transformer takes a sequence of images — file paths, encoded bytes or
numpy arrays (see :func:`read_image`) — and returns a float32 array with one
row per image.

The local-feature encoders (:class:`BagOfVisualWords`, :class:`SpatialPyramid`,
:class:`VLAD`, :class:`FisherVector`) are composed of two parts given as
estimators: ``descriptor=`` (a :class:`LocalDescriptors`, or its kind as a
string) and ``vocabulary=`` (a :class:`KMeansVocabulary`,
:class:`BinaryKMeansVocabulary` or :class:`GaussianMixtureVocabulary`, or its
number of words as an int)::

    BagOfVisualWords(LocalDescriptors("rootsift", max_side=640), KMeansVocabulary(512))
"""

from .io import read_image
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

__all__ = [
    "read_image",
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
