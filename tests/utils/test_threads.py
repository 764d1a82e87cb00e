"""Thread limits shared by overlapping calls (issues #12 and #15): restored whatever the overlap."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import cv2
import pytest
from threadpoolctl import threadpool_info

from classicx import CrossModalRetriever, datasets
from classicx.utils.parallel import limit_threads


def _blas() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def _openmp() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "openmp"]


@pytest.fixture
def opencv_at_three():
    before = cv2.getNumThreads()
    cv2.setNumThreads(3)
    yield 3
    cv2.setNumThreads(before)


def test_limits_apply_inside_and_are_restored(opencv_at_three):
    blas = _blas()
    with limit_threads(blas=1, opencv=1):
        assert cv2.getNumThreads() == 1
        assert all(n == 1 for n in _blas())
    assert cv2.getNumThreads() == 3 and _blas() == blas


def test_the_smallest_active_limit_wins_and_the_original_comes_back(opencv_at_three):
    with limit_threads(opencv=2):
        assert cv2.getNumThreads() == 2
        with limit_threads(opencv=1):
            assert cv2.getNumThreads() == 1
            with limit_threads(opencv=5):
                assert cv2.getNumThreads() == 1
        assert cv2.getNumThreads() == 2
    assert cv2.getNumThreads() == 3


def test_a_limit_is_restored_after_an_exception(opencv_at_three):
    with pytest.raises(RuntimeError), limit_threads(opencv=1, blas=1):
        raise RuntimeError("boom")
    assert cv2.getNumThreads() == 3


def test_overlapping_calls_in_two_threads_that_end_out_of_order(opencv_at_three):
    """A enters, B enters, A ends first, B ends last: the process gets back its own setting.

    Saving and restoring per call (the old ``cv2.setNumThreads`` / ``threadpool_limits``
    pattern) leaves 1 here: B saved A's 1 and restores it last.
    """
    blas = _blas()
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with limit_threads(opencv=1, blas=1):
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def second():
        a_in.wait(5)
        with limit_threads(opencv=1, blas=1):
            b_in.set()
            a_out.wait(5)
            seen["during"] = (cv2.getNumThreads(), _blas())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen["during"][0] == 1 and all(n == 1 for n in seen["during"][1]), "still limited while B runs"
    assert cv2.getNumThreads() == 3
    assert _blas() == blas


def test_openmp_limits_belong_to_the_calling_thread():
    if not _openmp():
        pytest.skip("no OpenMP runtime loaded")
    main = _openmp()
    inside = {}

    def worker():
        with limit_threads(openmp=1):
            inside["worker"] = _openmp()
        inside["after"] = _openmp()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(10)
    assert all(n == 1 for n in inside["worker"])
    assert _openmp() == main  # the calling thread's own setting was never touched


@pytest.fixture(scope="module")
def retriever():
    data = datasets.load_synthetic(n_train=60, n_test=16, random_state=0)
    # The 0.2.0 pipeline (BoVW, TF-IDF + LSA, CCA) written out as specs: these tests read its parts.
    model = CrossModalRetriever(image_features="bovw(sift,16)", text_features="lsa(8)", aligner="cca(4)",
                                searcher="exact", n_jobs=2, verbose=False, random_state=0)
    model.fit(data.train.images, data.train.texts, labels=data.train.labels)
    return model, data


def test_eight_threads_querying_one_retriever_leave_the_thread_settings_as_they_were(retriever):
    """The situation of issue #12: after concurrent text, image and batch queries, nothing stays at 1."""
    model, data = retriever
    cv2_before, blas_before = cv2.getNumThreads(), _blas()
    texts, images = list(data.test.texts), list(data.test.images)
    expected_text = [model.search_text(t, k=3) for t in texts]
    expected_image = [model.search_image(im, k=3) for im in images]
    # A batch's products differ from one query's in the last bits (BLAS gemm vs gemv): batches are compared to batches.
    expected_text_batch, expected_image_batch = model.search_text(texts, k=3), model.search_image(images[:4], k=3)

    def work(i):
        j = i % len(texts)
        results = [model.search_text(texts[j], k=3) == expected_text[j],
                   model.search_image(images[j], k=3) == expected_image[j]]
        if i % 4 == 0:  # a batch: several query blocks in the searcher's own threads
            results.append(model.search_text(texts, k=3) == expected_text_batch)
            results.append(model.search_image(images[:4], k=3) == expected_image_batch)
        return all(results)

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(work, range(48)))
    assert all(outcomes), "concurrent queries returned other results"
    assert cv2.getNumThreads() == cv2_before
    assert _blas() == blas_before
