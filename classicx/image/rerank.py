"""Image-to-image re-ranking by geometric verification (matching + RANSAC homography).

A vocabulary encoding finds candidates that share visual words; geometric
verification checks whether the matched keypoints are also consistent with
one planar view change, which visual words alone cannot. As in Philbin et
al. (2007), only the top of a ranking is verified and re-ordered by the
number of RANSAC inliers.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import cv2
import numpy as np
from sklearn.base import clone
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import ClassicxEstimator
from ..exceptions import InputError, ShapeMismatchError
from ..utils.parallel import parallel_map, progress
from ..utils.validation import check_images, validate_params
from .descriptors import ImageFeatures, LocalDescriptors
from .io import describe_item

__all__ = ["GeometricVerifier"]

# Dense SIFT has no keypoint geometry worth verifying (a fixed grid, upright).
_KINDS = ("sift", "rootsift", "orb")
# A homography has 8 degrees of freedom: 4 point pairs determine it.
_MIN_MATCHES = 4


class GeometricVerifier(ClassicxEstimator):
    """Count geometrically consistent matches between images and re-rank search results by them.

    For a query and a candidate image: local descriptors are matched (two
    nearest neighbours, FLANN kd-trees or brute force for SIFT; Hamming
    distance for ORB), matches failing Lowe's ratio test are dropped, a
    homography is fitted to the rest with RANSAC, and the inliers are
    counted.

    Verification learns nothing: ``fit`` only checks the parameters, and the
    other methods work on an unfitted verifier too.

    Parameters
    ----------
    descriptor : LocalDescriptors or {"sift", "rootsift", "orb"}, default="rootsift"
        The local descriptor (keypoints, resizing, descriptor ``cache``:
        entries are shared with encoders whose descriptor has the same
        settings and cache), or its kind. Dense SIFT is refused: a fixed
        grid has no keypoint geometry to verify.
    matcher : {"flann", "bf"}, default="flann"
        Approximate (FLANN: randomised kd-trees for float descriptors, LSH for
        ORB) or exact brute-force nearest neighbours.
    ratio : float, default=0.75
        Lowe's ratio test threshold (nearest / second nearest distance).
    ransac_threshold : float, default=5.0
        Maximum reprojection error, in pixels of the (resized) candidate, for an inlier.
    min_inliers : int, default=6
        Fewer inliers count as 0 (a handful of chance inliers is no evidence).
    n_jobs : int or None
        Parallel verification of the candidates of a query.
    verbose : bool, default=True

    Attributes
    ----------
    None
        Verification is stateless: the descriptor is resolved on each call.

    See Also
    --------
    BagOfVisualWords, VLAD : produce the rankings to re-rank.

    Examples
    --------
    >>> import numpy as np, cv2
    >>> from classicx.image import GeometricVerifier, LocalDescriptors
    >>> rng = np.random.default_rng(0)
    >>> img = cv2.GaussianBlur(rng.integers(0, 255, (160, 160), dtype=np.uint8), (0, 0), 1.5)
    >>> shifted = np.roll(img, 10, axis=1)
    >>> other = cv2.GaussianBlur(rng.integers(0, 255, (160, 160), dtype=np.uint8), (0, 0), 1.5)
    >>> gv = GeometricVerifier(LocalDescriptors("sift", max_side=640), verbose=False)
    >>> gv.count_inliers(img, shifted) > 10 * max(gv.count_inliers(img, other), 1)
    True
    """

    _parameter_constraints: dict = {
        "descriptor": [StrOptions(set(_KINDS)), LocalDescriptors],
        "matcher": [StrOptions({"flann", "bf"})],
        "ratio": [Interval(Real, 0, 1, closed="right")],
        "ransac_threshold": [Interval(Real, 0, None, closed="neither")],
        "min_inliers": [Interval(Integral, 0, None, closed="left")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        descriptor: LocalDescriptors | str = "rootsift",
        *,
        matcher: str = "flann",
        ratio: float = 0.75,
        ransac_threshold: float = 5.0,
        min_inliers: int = 6,
        n_jobs: int | None = None,
        verbose: bool = True,
    ) -> None:
        self.descriptor = descriptor
        self.matcher = matcher
        self.ratio = ratio
        self.ransac_threshold = ransac_threshold
        self.min_inliers = min_inliers
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags

    def _descriptor(self) -> LocalDescriptors:
        """The validated descriptor (a copy of ``descriptor``, or the one its kind names)."""
        validate_params(self)
        descriptor = self.descriptor
        resolved = LocalDescriptors(descriptor) if isinstance(descriptor, str) else clone(descriptor)
        resolved.fit()
        if resolved.kind not in _KINDS:
            raise InputError(
                f"GeometricVerifier: descriptor kind must be one of {_KINDS}, got {resolved.kind!r} "
                "(a dense grid has no keypoint geometry to verify)"
            )
        return resolved

    def fit(self, images: Any = None, y: Any = None) -> "GeometricVerifier":
        """Check the parameters (verification learns nothing); return self.

        Parameters
        ----------
        images : ignored
        y : ignored

        Returns
        -------
        self
        """
        self._descriptor()
        return self

    def _match(self, query: np.ndarray, candidate: np.ndarray) -> list:
        binary = query.dtype == np.uint8
        if self.matcher == "bf":
            matcher = cv2.BFMatcher(cv2.NORM_HAMMING if binary else cv2.NORM_L2)
        elif binary:
            # FLANN_INDEX_LSH = 6
            matcher = cv2.FlannBasedMatcher(dict(algorithm=6, table_number=6, key_size=12, multi_probe_level=1), dict(checks=50))
        else:
            # FLANN_INDEX_KDTREE = 1
            matcher = cv2.FlannBasedMatcher(dict(algorithm=1, trees=4), dict(checks=64))
        pairs = matcher.knnMatch(query, candidate, k=2)
        # LSH may return fewer than two neighbours for a descriptor: such a match cannot pass the ratio test.
        return [p[0] for p in pairs if len(p) == 2 and p[0].distance < self.ratio * p[1].distance]

    def inliers(self, query: ImageFeatures, candidate: ImageFeatures) -> int:
        """RANSAC homography inliers between two images' precomputed features."""
        if len(query.descriptors) < 2 or len(candidate.descriptors) < 2:
            return 0
        matches = self._match(query.descriptors, candidate.descriptors)
        if len(matches) < _MIN_MATCHES:
            return 0
        scale_q = np.array([query.size[1], query.size[0]], np.float32)
        scale_c = np.array([candidate.size[1], candidate.size[0]], np.float32)
        src = query.positions[[m.queryIdx for m in matches]] * scale_q
        dst = candidate.positions[[m.trainIdx for m in matches]] * scale_c
        _, mask = cv2.findHomography(src, dst, cv2.RANSAC, float(self.ransac_threshold))
        count = 0 if mask is None else int(mask.sum())
        return count if count >= int(self.min_inliers) else 0

    def count_inliers(self, query: Any, candidate: Any) -> int:
        """Inliers between two images (paths, bytes or arrays)."""
        descriptor = self._descriptor()
        return self.inliers(
            descriptor._extract(query, describe_item(query)), descriptor._extract(candidate, describe_item(candidate))
        )

    def rerank(
        self,
        queries: Sequence[Any],
        gallery: Sequence[Any],
        indices: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Re-order each query's candidates by inlier count.

        Parameters
        ----------
        queries : sequence of images (nq)
        gallery : sequence of images
            The gallery the indices refer to.
        indices : int array (nq, k)
            Candidates per query, best first (e.g. from a searcher's ``search``).

        Returns
        -------
        scores : float32 array (nq, k)
            Inlier counts, in the new order (higher is better).
        indices : int array (nq, k)
            The candidates re-ordered by inliers; ties keep the original order.
        """
        queries = check_images(queries, name="queries", allow_empty=True)
        gallery = check_images(gallery, name="gallery", allow_empty=True)
        indices = np.asarray(indices)
        if indices.ndim != 2 or len(indices) != len(queries):
            raise ShapeMismatchError(
                f"indices must be (n_queries, k) with n_queries={len(queries)}, got shape {indices.shape}"
            )
        if indices.size and (indices.min() < 0 or indices.max() >= len(gallery)):
            raise InputError(f"indices must lie in [0, {len(gallery)}), got [{indices.min()}, {indices.max()}]")
        descriptor = self._descriptor()
        scores = np.zeros(indices.shape, np.float32)
        order = np.empty_like(indices)
        for q in progress(range(len(queries)), total=len(queries), desc="geometric verification", verbose=self.verbose):
            qf = descriptor._extract(queries[q], describe_item(queries[q], q))

            def verify(j: int, qf: ImageFeatures = qf) -> int:
                return self.inliers(qf, descriptor._extract(gallery[j], describe_item(gallery[j], j)))

            counts = np.array(parallel_map(verify, [int(j) for j in indices[q]], n_jobs=self.n_jobs, verbose=False))
            new = np.argsort(-counts, kind="stable")
            scores[q] = counts[new]
            order[q] = indices[q][new]
        return scores, order
