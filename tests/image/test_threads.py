"""``n_jobs`` is the core budget: OpenCV runs single-threaded inside the encoders."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from joblib import parallel_config

from classicx.image import BagOfVisualWords, LocalDescriptors
from classicx.image import descriptors as descriptors_module


def test_opencv_threads_limited_during_extraction_and_restored(monkeypatch):
    seen = []
    original = descriptors_module.LocalDescriptors._compute

    def spy(self, item, name):
        seen.append(cv2.getNumThreads())
        return original(self, item, name)

    monkeypatch.setattr(descriptors_module.LocalDescriptors, "_compute", spy)
    rng = np.random.default_rng(0)
    images = [(rng.random((64, 64)) * 255).astype(np.uint8) for _ in range(3)]
    before = cv2.getNumThreads()
    cv2.setNumThreads(2)
    try:
        BagOfVisualWords("sift", 2, verbose=False, random_state=0).fit_transform(images)
        assert seen and set(seen) == {1}
        assert cv2.getNumThreads() == 2
    finally:
        cv2.setNumThreads(before)


def test_encoders_send_per_image_work_to_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(1)
    images = [(rng.random((64, 64)) * 255).astype(np.uint8) for _ in range(12)]
    params = dict(verbose=False, random_state=0)
    expected = BagOfVisualWords(LocalDescriptors("sift", max_keypoints=40), 4, **params).fit_transform(images)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        with distributed.get_task_stream(client) as stream, parallel_config(backend="dask"):
            X = BagOfVisualWords(LocalDescriptors("sift", max_keypoints=40), 4, n_jobs=2, **params).fit_transform(images)
    assert len(stream.data) > 0  # the cluster ran the per-image tasks
    np.testing.assert_allclose(X, expected, rtol=1e-6)
