"""The retriever, the image vocabulary and ``classicx fit --scheduler`` on a Dask cluster."""

from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
db = pytest.importorskip("dask.bag")

from classicx.cli import main
from classicx.datasets import load_synthetic
from classicx.distributed import client_from_spec
from classicx.distributed._image import _partition_sample
from classicx.exceptions import ParameterError
from classicx.image import BagOfVisualWords
from classicx.retriever import CrossModalRetriever
from classicx.subspace import RegularizedCCA
from classicx.text import TfidfLSA


def test_vocabulary_from_per_partition_samples_is_the_same_on_any_cluster(thread_client, collection):
    # Threads only: the encoders' pickling to worker processes is exercised by the preset fit on local:2.
    _, paths, *_ = collection
    bag = db.from_sequence(paths, npartitions=3)
    encoder = BagOfVisualWords(vocabulary=16, random_state=7, verbose=False).fit(bag)
    # Oracle: the same per-partition samples drawn here, merged and clustered in memory.
    seeds = np.random.RandomState(7).randint(np.iinfo(np.int32).max, size=3)
    quota = -(-encoder.vocabulary_.sample_size // 3)
    local = BagOfVisualWords(vocabulary=16, random_state=7, verbose=False)
    local.descriptor_ = local._resolve_descriptor()
    parts = [paths[i : i + 10] for i in range(0, 30, 10)]
    assert bag.map_partitions(lambda p: [len(list(p))]).compute() == [10, 10, 10]
    sample = np.concatenate([_partition_sample(p, local, int(s), quota)[0] for p, s in zip(parts, seeds)])
    assert encoder.n_sampled_ == len(sample)
    vocabulary = local._resolve_vocabulary(local.descriptor_)
    vocabulary.set_params(random_state=encoder.vocabulary_.random_state).fit(sample)
    np.testing.assert_array_equal(encoder.vocabulary_.centers_, vocabulary.centers_)
    np.testing.assert_array_equal(encoder.transform(bag).compute(), encoder.transform(paths))


def test_retriever_fit_on_bags(thread_client, collection, tmp_path):
    _, paths, texts, labels, _ = collection
    ids = [f"pair-{i}" for i in range(len(paths))]
    images, text_bag = db.from_sequence(paths, npartitions=3), db.from_sequence(texts, npartitions=3)
    model = CrossModalRetriever(
        image_features=BagOfVisualWords(vocabulary=16, random_state=0),
        text_features=TfidfLSA(n_components=8, random_state=0),
        aligner=RegularizedCCA(n_components=4, reg=0.3),
        verbose=False,
    ).fit(images, text_bag, labels=labels, ids=ids)
    # Oracle: the aligner fitted in memory on the fitted stages' features.
    X = model.image_features_.transform(paths)
    Y = model.text_features_.transform(texts)
    ref = RegularizedCCA(n_components=4, reg=0.3).fit(X, Y)
    np.testing.assert_allclose(model.aligner_.canonical_correlations_, ref.canonical_correlations_, rtol=1e-6)
    np.testing.assert_allclose(model.image_gallery_.gallery_, model._fit_gallery(ref.transform(X)).gallery_,
                               rtol=1e-5, atol=1e-6)
    assert model.image_descriptions_ == paths and model.gallery_texts_ == texts and model.image_ids_ == ids
    model.save(tmp_path / "model")
    hits = CrossModalRetriever.load(tmp_path / "model").search_text(texts[0], k=3)
    assert len(hits) == 3


def test_cli_fit_with_a_scheduler(thread_cluster, collection, tmp_path, capsys):
    root, *_ = collection
    out = tmp_path / "model"
    argv = ["fit", str(root / "pairs.csv"), "-o", str(out), "--image", "bovw(sift,16)", "--text", "lsa(20)", "--aligner", "cca(4)", "-q",
            "--scheduler", thread_cluster.scheduler_address]
    assert main(argv) == 0
    assert "Dask cluster" in capsys.readouterr().out
    assert len(CrossModalRetriever.load(out).search_text("a red circle", k=2)) == 2


@pytest.mark.parametrize("spec", ["localhost:8786", "local:x", "local:0", ""])
def test_bad_scheduler_specs(spec):
    with pytest.raises(ParameterError, match="scheduler must be|at least one worker"):
        with client_from_spec(spec):
            pass


def test_split_to_bag():
    train = load_synthetic(n_train=8, n_test=1, image_size=32, random_state=0).train
    images, texts = train.to_bag(npartitions=4)
    assert images.npartitions == texts.npartitions == 4
    # The synchronous scheduler: a bag's default, worker processes, would cost seconds to start.
    assert texts.compute(scheduler="sync") == list(train.texts)
