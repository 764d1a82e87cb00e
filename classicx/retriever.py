"""The cross-modal retriever: image features + text features + shared subspace + searcher."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metadata_routing import get_routing_for_object

from .base import ClassicxEstimator
from .distributed import dask_fit, is_dask_collection
from .exceptions import (
    ClassicxWarning,
    EmptyFeatureWarning,
    EmptyInputError,
    InputError,
    ParameterError,
    ShapeMismatchError,
)
from .metrics import RetrievalReport, evaluate_retrieval
from .presets import PRESET_NAMES, PRESETS, preset_specs
from .utils.messages import warn
from .utils.validation import (
    check_images,
    check_is_fitted,
    check_labels,
    check_paired,
    check_positive_int,
    check_texts,
    validate_params,
)

__all__ = ["CrossModalRetriever", "Hit", "default_stages"]

logger = logging.getLogger(__name__)

# Settings of the retriever that it shares with its stages (see CrossModalRetriever).
_SHARED_SETTINGS = ("n_jobs", "verbose", "random_state")


def default_stages(preset: str = "balanced", labels: bool = True) -> dict[str, Any]:
    """The stages a :class:`CrossModalRetriever` uses where its parameter is ``None``: new, unfitted objects.

    They are built from the specs of the preset (:mod:`classicx.presets`, the
    one place where the default pipeline is written down); the ``classicx``
    command builds its model from the same objects.

    Parameters
    ----------
    preset : {"fast", "balanced", "best"}, default="balanced"
        The retriever's default preset is ``"balanced"``.
    labels : bool, default=True
        Whether the training pairs have labels: with, the preset's supervised
        aligner (semantic matching); without, its unsupervised one (CCA).

    Returns
    -------
    dict
        Stage name -> estimator, keyed like the retriever's parameters.

    See Also
    --------
    CrossModalRetriever : the pipeline these stages make.
    classicx.presets.PRESETS : the specs, with how they were chosen.

    Examples
    --------
    >>> from classicx.retriever import default_stages
    >>> stages = default_stages()
    >>> stages["aligner"]
    SemanticMatching(C=10.0, class_weight='balanced', standardize=False)
    >>> from classicx.spec import to_spec
    >>> to_spec(stages["image_features"])
    'fisher(rootsift,64)+0.5*hsv'
    >>> default_stages(labels=False)["aligner"]
    RegularizedCCA(n_components=16, reg=0.6, weight_power=4.0)
    """
    from .presets import default_stages as preset_stages

    return preset_stages(preset, labels)


@dataclass(frozen=True)
class Hit:
    """One ranked result of a search.

    Attributes
    ----------
    rank : int
        1 for the best match.
    index : int
        Row of the item in the gallery.
    id : str
        The gallery item's id.
    score : float
        Similarity to the query (higher is better).
    content : str
        The text itself for a text gallery; the image's description (its path
        for images read from files) for an image gallery.
    label : str or None, default=None
        The item's category name (several joined by ``"|"`` for multi-label
        items; the label index when the retriever knows no category names);
        ``None`` when the gallery has no labels.
    text : str or None, default=None
        The text of the item's pair: the caption paired with a gallery image
        (``None`` when the image gallery was indexed without its texts), the
        text itself for a gallery text.
    file : str or None, default=None
        The image file of the item's pair: the path of a gallery image read
        from a file, the image paired with a gallery text; ``None`` for images
        given as arrays or bytes.
    """

    rank: int
    index: int
    id: str
    score: float
    content: str
    label: str | None = None
    text: str | None = None
    file: str | None = None


def _label_name(labels: np.ndarray, row: int, categories: Sequence[str] | None) -> str:
    """The display name of row ``row`` of ``labels`` (see :attr:`Hit.label`)."""

    def name(k: int) -> str:
        return str(categories[k]) if categories is not None and 0 <= k < len(categories) else str(k)

    if labels.ndim == 1:
        return name(int(labels[row]))
    return "|".join(name(int(k)) for k in np.flatnonzero(labels[row]))


def _label_names(labels: Any, categories: Sequence[str] | None) -> list[str] | None:
    """One display name per row of ``labels`` (see :attr:`Hit.label`)."""
    if labels is None:
        return None
    labels = np.asarray(labels)
    return [_label_name(labels, row, categories) for row in range(len(labels))]


def _image_files(images: Sequence[Any]) -> list[str | None]:
    return [str(item) if isinstance(item, (str, Path)) else None for item in images]


def _zero_rows(features: Any) -> np.ndarray:
    """Indices of the all-zero rows of a dense or sparse feature matrix."""
    if sp.issparse(features):
        return np.flatnonzero(features.tocsr().getnnz(axis=1) == 0)
    # any() counts NaN as non-zero, as ``!= 0`` does, without the boolean temporary.
    return np.flatnonzero(~np.asarray(features).any(axis=1))


def _default_descriptions(images: Sequence[Any]) -> list[str]:
    return [
        str(item) if isinstance(item, (str, Path)) else f"image #{i}" for i, item in enumerate(images)
    ]


def _consumes_labels(aligner: Any) -> bool:
    """Whether ``aligner.fit`` asks for ``labels`` through scikit-learn's metadata routing."""
    return "labels" in get_routing_for_object(aligner).consumes("fit", ["labels"])


class CrossModalRetriever(ClassicxEstimator):
    """Image↔text retrieval through a learned shared subspace.

    The retriever composes four replaceable stages:

    ``image_features``  images → vectors
    ``text_features``   texts → vectors
    ``aligner``         both → one shared space
    ``searcher``        ranks a gallery for each query

    Each is an estimator or a spec string (:mod:`classicx.spec`:
    ``image_features="fisher(rootsift,64)+0.5*hsv"``, ``aligner="cca(32,reg=0.3)"``,
    ``searcher="faiss:HNSW32"``), built in :meth:`fit`. A stage left at
    ``None`` comes from the ``preset`` (:mod:`classicx.presets`): by default
    ``"balanced"``, Fisher vectors of RootSIFT with an HSV histogram, TF-IDF +
    LSA 200 with rows L2-normalised, and semantic matching when :meth:`fit`
    gets labels, ranked by inner product (CCA and cosine without labels, with a
    warning).
    ``preset="auto"`` chooses the stages left at ``None`` by cross-validation
    on the training pairs within ``time_budget`` (``leaderboard_``). After
    :meth:`fit`, the training images and texts form the search gallery;
    :meth:`index` replaces it with another collection. :meth:`evaluate` ranks
    the whole evaluation set of the other modality for every query (the
    protocol of Rasiwasia et al. 2010) and reports MAP and precision@k.

    ``n_jobs``, ``verbose`` and ``random_state`` are shared with the stages:
    :meth:`fit` sets them on the fitted copy of every stage, at any depth of
    nesting (``get_params(deep=True)``: also an encoder inside a
    ``FeatureUnion`` or ``Pipeline``), wherever the stage leaves ``n_jobs`` or
    ``random_state`` at ``None`` -- but not on the parts of a classicx
    estimator that has the setting itself, since it hands its own on to them
    (an encoder seeds its vocabulary from its ``random_state``).
    ``verbose=False`` silences every stage and part. To keep a part serial,
    give it ``n_jobs=1``. Setting ``n_jobs`` or
    ``verbose`` on a fitted retriever (``set_params``) applies them to the
    fitted stages and gallery searchers in the same way.

    Parameters
    ----------
    image_features : transformer, default=None
        Maps a sequence of images (paths, arrays or encoded bytes) to an array.
    text_features : transformer, default=None
        Maps a sequence of strings to an array.
    aligner : two-view estimator, default=None
        ``fit(X, Y)``, ``transform(X)``, ``transform_y(Y)``. ``labels`` given
        to :meth:`fit` reach it when its ``fit`` requests them through
        scikit-learn's metadata routing, as every classicx aligner that uses
        labels does by default; for an aligner of your own, declare
        ``__metadata_request__fit = {"labels": True}`` (or call
        ``set_fit_request(labels=True)`` with routing enabled).
    searcher : searcher or str, default=None
        ``fit(gallery)``, ``search(queries, k)``; a string is a spec for
        :func:`classicx.search.make_searcher` (``"exact"``, ``"hnswlib"``,
        ``"faiss:IVF256,Flat"``, ...) with the cosine metric, resolved in
        :meth:`fit`. ``image_features``, ``text_features`` and ``aligner``
        take spec strings too (:func:`classicx.spec.build`). Left at ``None``,
        it is the preset's searcher, which goes with the preset's aligner
        (inner product of class posteriors after semantic matching); with an
        aligner given here, it is exact cosine search.
    preset : {"balanced", "fast", "best", "auto"}, default="balanced"
        Fills the stages left at ``None`` (:data:`classicx.presets.PRESETS`,
        with their measured costs and scores). Without labels the supervised
        aligner of a preset is replaced by its unsupervised one, with a
        warning. ``"auto"`` cross-validates the candidates of
        :data:`classicx.presets.AUTO_CANDIDATES` on the training pairs and
        keeps the best (see ``time_budget``).
    time_budget : float or str, default=None
        Seconds (or ``"10m"``, ``"1h"``: :func:`classicx.spec.parse_duration`)
        that ``preset="auto"`` may spend choosing; default 10 minutes. No new
        candidate starts once it is spent, and one whose cost, estimated from
        those measured so far, exceeds the time left is skipped; the one under
        way and the final refit still finish (the slack). Only for ``"auto"``.
    n_jobs : int, default=None
        Shared with the stages (see above).
    verbose : bool, default=True
        Show progress bars; ``False`` is shared with every stage.
    random_state : int, default=None
        Shared with the stages whose ``random_state`` is ``None``.

    Attributes
    ----------
    preset_stages_ : dict of str
        The spec of every stage that the preset (or ``"auto"``) filled,
        stage name -> spec; empty when every stage was given.
    supervised_ : bool
        Whether the aligner was fitted with labels.
    leaderboard_ : list of dict
        ``preset="auto"`` only: every candidate tried, best first, with its
        cross-validated MAP (``pandas.DataFrame(model.leaderboard_)`` shows it).
    image_features_, text_features_, aligner_ : fitted clones of the stages
    image_gallery_, text_gallery_ : fitted searchers over the gallery images and texts
    image_ids_, text_ids_ : list of str, ids of the gallery items
    image_descriptions_, gallery_texts_ : list of str, shown in :class:`Hit` results
    image_labels_, text_labels_ : ndarray or None, labels of the gallery items
    categories_ : list of str or None, the category names of the labels (``categories`` of :meth:`fit`)
    image_files_ : list of (str or None), the file of each gallery image (``None`` for arrays and bytes)
    image_texts_ : list of str or None, the text paired with each gallery image
    text_files_ : list of (str or None) or None, the image file paired with each gallery text
    dataset_record_ : dict, optional; set by ``classicx fit``: how its training data was loaded
        (loader options, the dataset path, content hashes of the training pairs), saved with the
        model so that ``classicx evaluate`` loads the data the same way and finds overlaps

    See Also
    --------
    default_stages : the default stages.
    classicx.metrics.evaluate_retrieval : the evaluation behind :meth:`evaluate`.

    Examples
    --------
    >>> from classicx import CrossModalRetriever, datasets
    >>> data = datasets.load_synthetic(n_train=120, n_test=40, random_state=0)
    >>> model = CrossModalRetriever(verbose=False, random_state=0)
    >>> model = model.fit(data.train.images, data.train.texts, labels=data.train.labels)
    >>> hits = model.search_text("a red circle", k=3)
    >>> len(hits), hits[0].rank
    (3, 1)
    >>> report = model.evaluate(data.test.images, data.test.texts, labels=data.test.labels)
    >>> report.map_image_to_text > report.chance_image_to_text
    True
    """

    _parameter_constraints: dict = {
        "image_features": [HasMethods(["fit", "transform"]), str, None],
        "text_features": [HasMethods(["fit", "transform"]), str, None],
        "aligner": [HasMethods(["fit", "transform", "transform_y"]), str, None],
        "searcher": [HasMethods(["fit", "search"]), str, None],
        "preset": [StrOptions(set(PRESET_NAMES))],
        "time_budget": [Interval(Real, 0, None, closed="neither"), str, None],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        image_features: Any = None,
        text_features: Any = None,
        aligner: Any = None,
        searcher: Any = None,
        preset: str = "balanced",
        time_budget: float | str | None = None,
        n_jobs: int | None = None,
        verbose: bool = True,
        random_state: int | None = None,
    ) -> None:
        self.image_features = image_features
        self.text_features = text_features
        self.aligner = aligner
        self.searcher = searcher
        self.preset = preset
        self.time_budget = time_budget
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # images (paths, arrays or bytes) and texts
        tags.target_tags.required = True  # the texts paired with the images
        return tags

    # ------------------------------------------------------------------ stages
    def _check_loaded_state(self) -> None:
        """Called when a saved model is loaded: the galleries and their ids, texts and labels agree."""
        if not hasattr(self, "aligner_"):
            return
        for side, gallery, columns in (
            ("image", self.image_gallery_, (self.image_ids_, self.image_descriptions_, self.image_labels_,
                                            getattr(self, "image_files_", None), getattr(self, "image_texts_", None))),
            ("text", self.text_gallery_, (self.text_ids_, self.gallery_texts_, self.text_labels_,
                                          getattr(self, "text_files_", None))),
        ):
            n = len(gallery)
            for column in columns:
                if column is not None and len(column) != n:
                    raise ValueError(f"the {side} gallery holds {n} items but {len(column)} ids/labels/contents")

    def _given(self, name: str) -> Any:
        """The stage as given (a spec string built here), or the one the preset filled at fit time."""
        from .spec import build

        given = getattr(self, name)
        if given is None:
            filled = getattr(self, "preset_stages_", None)
            if filled is None or name not in filled:  # not fitted yet: the preset's default
                preset = self.preset if self.preset in PRESETS else "balanced"
                return build(preset_specs(preset)[name], name)
            return build(filled[name], name)
        if isinstance(given, str):
            return build(given, name)
        return given

    def _shared(self, stage: Any, names: Sequence[str] = _SHARED_SETTINGS, deep: bool = True) -> dict[str, Any]:
        """The settings ``stage`` receives from the retriever, keyed as ``stage.set_params`` takes them.

        ``n_jobs`` and ``random_state`` where ``stage`` or a part of it leaves
        them at ``None``, except inside a classicx estimator that has the
        setting itself: it hands its own on to its parts (an encoder seeds its
        vocabulary), so the result equals that of the estimator fitted alone
        with the setting. ``verbose=False`` everywhere when the retriever is quiet.
        """
        params = stage.get_params(deep=deep)
        owners = {"": stage, **{key: value for key, value in params.items() if hasattr(value, "get_params")}}

        def handed_on(path: list[str], name: str) -> bool:
            ancestors = (owners.get("__".join(path[:i])) for i in range(len(path)))
            return any(isinstance(a, ClassicxEstimator) and name in a.get_params(deep=False) for a in ancestors)

        updates = {}
        for key, value in params.items():
            *path, name = key.split("__")
            if name not in names:
                continue
            if name == "verbose":
                if not self.verbose:
                    updates[key] = False
            elif value is None and getattr(self, name) is not None and not handed_on(path, name):
                updates[key] = getattr(self, name)
        return updates

    def _stage(self, name: str) -> Any:
        """A fresh, unfitted copy of the stage ``name`` with the shared settings applied."""
        return self._prepare(self._given(name))

    def _prepare(self, estimator: Any) -> Any:
        """A fresh, unfitted copy of ``estimator`` with the retriever's shared settings applied."""
        stage = clone(estimator)
        return stage.set_params(**self._shared(stage))

    def _fill_stages(self, images: Sequence[Any], texts: Sequence[str], labels: Any) -> dict[str, Any]:
        """Record in ``preset_stages_`` the spec of every stage left at ``None``, from the preset or by ``"auto"``.

        Returns the stages ``"auto"`` already fitted while choosing (stage name
        -> (fitted estimator, training features)), so that they are not fitted
        again; empty for a fixed preset.
        """
        from .spec import parse_duration

        missing = [name for name in ("image_features", "text_features", "aligner", "searcher")
                   if getattr(self, name) is None]
        if self.time_budget is not None and self.preset != "auto":
            raise ParameterError(f"time_budget is for preset='auto' (the preset is {self.preset!r})")
        if self.preset == "auto":
            budget = 600.0 if self.time_budget is None else parse_duration(self.time_budget)
            self.leaderboard_ = []
            if not missing:
                self.preset_stages_ = {}
                return {}
            from ._autoselect import select_stages

            specs, self.leaderboard_, prefitted = select_stages(self, images, texts, labels, missing, budget)
            self.preset_stages_ = specs
            return prefitted
        has_labels = labels is not None
        specs = preset_specs(self.preset, has_labels)
        if "aligner" not in missing and "searcher" in missing:
            # The preset's searcher goes with the preset's aligner (the inner product of semantic
            # matching's class posteriors); an aligner of the user's own gets the cosine searcher.
            specs["searcher"] = PRESETS[self.preset].unsupervised_searcher
        self.preset_stages_ = {name: specs[name] for name in missing}
        preset = PRESETS[self.preset]
        if "aligner" in missing and not has_labels and preset.aligner != preset.unsupervised_aligner:
            warn(
                f"preset {self.preset!r} without labels: the aligner is the unsupervised "
                f"{preset.unsupervised_aligner!r} instead of the supervised {preset.aligner!r} "
                "(pass labels= to fit to use it)",
                ClassicxWarning,
            )
        return {}

    def _fit_gallery(self, vectors: np.ndarray) -> Any:
        return self._stage("searcher").fit(vectors)

    def set_params(self, **params: Any) -> CrossModalRetriever:
        """Set parameters; on a fitted retriever, ``n_jobs`` and ``verbose`` also reach the fitted stages.

        Their fitted stages and gallery searchers get the value the rule of
        :meth:`fit` gives (only where the stage as given leaves ``n_jobs`` at
        ``None``; ``verbose`` as given unless the retriever is quiet); nothing
        learned changes.

        Returns
        -------
        self
        """
        super().set_params(**params)
        runtime = [name for name in ("n_jobs", "verbose") if name in params]
        if runtime and hasattr(self, "aligner_"):
            for name, fitted in (
                ("image_features", self.image_features_),
                ("text_features", self.text_features_),
                ("searcher", self.image_gallery_),
                ("searcher", self.text_gallery_),
            ):
                given = self._given(name)
                # At every depth, so that the parts of a composed stage (ConcatFeatures, Pipeline) get them too.
                own = {k: v for k, v in given.get_params(deep=True).items() if k.rsplit("__", 1)[-1] in runtime}
                fitted.set_params(**{**own, **self._shared(given, runtime, deep=True)})
        return self

    # -------------------------------------------------------------------- fit
    def fit(
        self,
        images: Sequence[Any],
        texts: Sequence[str],
        labels: Any = None,
        *,
        ids: Sequence[str] | None = None,
        descriptions: Sequence[str] | None = None,
        categories: Sequence[str] | None = None,
    ) -> CrossModalRetriever:
        """Learn features and the shared space from paired images and texts.

        Parameters
        ----------
        images : sequence of paths, arrays or bytes
            Row ``i`` is paired with ``texts[i]``.
        texts : sequence of str
        labels : array-like of shape (n,) or (n, n_labels), default=None
            Category indices (or a 0/1 multi-label indicator); passed to the
            aligner if it requests them (see ``aligner``) and kept as gallery
            labels.
        ids : sequence of str, default=None
            Pair ids for the gallery; default ``"0"``, ``"1"``, ...
        descriptions : sequence of str, default=None
            How gallery images are shown in results; default their paths.
        categories : sequence of str, default=None
            Category names: label ``k`` is ``categories[k]``, shown as
            :attr:`Hit.label` (``Dataset.categories`` of the loaders).

        Returns
        -------
        self
        """
        if is_dask_collection(images, texts):
            # Bags of images and texts: the stages run on the workers (classicx.distributed).
            return dask_fit(self, images, texts, labels, ids=ids, descriptions=descriptions, categories=categories)
        validate_params(self)
        images = check_images(images)
        texts = check_texts(texts)
        check_paired(len(images), len(texts))
        labels = None if labels is None else check_labels(labels, len(images))
        prefitted = self._fill_stages(images, texts, labels)
        self.aligner_ = self._stage("aligner")
        if "image_features" in prefitted:  # preset="auto" fitted and encoded them while choosing
            self.image_features_, X = prefitted["image_features"]
        else:
            self.image_features_ = self._stage("image_features")
            logger.info("extracting image features for %d images", len(images))
            X = self.image_features_.fit_transform(images)
        if "text_features" in prefitted:
            self.text_features_, Y = prefitted["text_features"]
        else:
            self.text_features_ = self._stage("text_features")
            logger.info("extracting text features for %d texts", len(texts))
            Y = self.text_features_.fit_transform(texts)
        routed = {"labels": labels} if labels is not None and _consumes_labels(self.aligner_) else {}
        self.aligner_.fit(X, Y, **routed)
        self.supervised_ = bool(routed)
        self._set_gallery(
            self.aligner_.transform(X),
            self.aligner_.transform_y(Y),
            texts,
            labels,
            ids,
            descriptions if descriptions is not None else _default_descriptions(images),
        )
        self.categories_ = None if categories is None else [str(c) for c in categories]
        self.image_files_ = _image_files(images)
        self.image_texts_ = list(self.gallery_texts_)
        self.text_files_ = list(self.image_files_)
        return self

    def _set_gallery(self, image_vectors, text_vectors, texts, labels, ids, descriptions) -> None:
        n = len(texts)
        ids = [str(i) for i in range(n)] if ids is None else [str(i) for i in ids]
        if len(ids) != n or len(descriptions) != n:
            raise ShapeMismatchError(f"ids and descriptions need {n} entries, got {len(ids)} and {len(descriptions)}")
        self.image_gallery_ = self._fit_gallery(image_vectors)
        self.text_gallery_ = self._fit_gallery(text_vectors)
        self.image_ids_ = list(ids)
        self.text_ids_ = list(ids)
        self.image_descriptions_ = [str(d) for d in descriptions]
        self.gallery_texts_ = [str(t) for t in texts]
        self.image_labels_ = labels
        self.text_labels_ = labels

    def index(
        self,
        images: Sequence[Any] | None = None,
        texts: Sequence[str] | None = None,
        *,
        image_ids: Sequence[str] | None = None,
        text_ids: Sequence[str] | None = None,
        image_labels: Any = None,
        text_labels: Any = None,
        descriptions: Sequence[str] | None = None,
        paired: bool = False,
    ) -> CrossModalRetriever:
        """Replace the search gallery of one or both modalities.

        Images given here are what :meth:`search_text` returns; texts are what
        :meth:`search_image` returns. A modality left at ``None`` keeps its
        current gallery. The learned features and subspace are unchanged.
        With ``paired=True``, ``images[i]`` and ``texts[i]`` form a pair: an
        image hit then shows its text (:attr:`Hit.text`) and a text hit its
        image file (:attr:`Hit.file`). Labels are indices into the fitted
        ``categories_``.

        Returns
        -------
        self
        """
        check_is_fitted(self, "aligner_")
        if paired and (images is None or texts is None or len(images) != len(texts)):
            raise ShapeMismatchError("index(paired=True) needs as many images as texts")
        if images is not None:
            images = check_images(images, name="index(images=...)")
            vectors = self.transform_images(images)
            self.image_gallery_ = self._fit_gallery(vectors)
            self.image_ids_ = [str(i) for i in (range(len(images)) if image_ids is None else image_ids)]
            self.image_descriptions_ = [str(d) for d in (descriptions or _default_descriptions(images))]
            self.image_labels_ = None if image_labels is None else check_labels(image_labels, len(images),
                                                                                name="image_labels")
            self._check_lengths("images", len(images), self.image_ids_, self.image_descriptions_)
            self.image_files_ = _image_files(images)
            self.image_texts_ = [str(t) for t in texts] if paired else None
        if texts is not None:
            texts = check_texts(texts, name="index(texts=...)")
            vectors = self.transform_texts(texts)
            self.text_gallery_ = self._fit_gallery(vectors)
            self.text_ids_ = [str(i) for i in (range(len(texts)) if text_ids is None else text_ids)]
            self.gallery_texts_ = list(texts)
            self.text_labels_ = None if text_labels is None else check_labels(text_labels, len(texts),
                                                                              name="text_labels")
            self._check_lengths("texts", len(texts), self.text_ids_)
            self.text_files_ = list(self.image_files_) if paired else None
        return self

    @staticmethod
    def _check_lengths(what: str, n: int, *columns: Any) -> None:
        for column in columns:
            if len(column) != n:
                raise ShapeMismatchError(f"{len(column)} ids/descriptions given for {n} {what}")

    # -------------------------------------------------------------- transform
    def transform_images(self, images: Sequence[Any]) -> np.ndarray:
        """Project images into the shared space, shape (n_images, n_components)."""
        check_is_fitted(self, "aligner_")
        return self.aligner_.transform(self.image_features_.transform(check_images(images)))

    def transform_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Project texts into the shared space, shape (n_texts, n_components)."""
        check_is_fitted(self, "aligner_")
        return self.aligner_.transform_y(self.text_features_.transform(check_texts(texts)))

    # ----------------------------------------------------------------- search
    def _hits(self, target: str, scores: Any, indices: Any) -> list[list[Hit]]:
        """Hits of the ``target`` gallery ("images" or "texts") for rows of search results."""
        # getattr: models saved before classicx 0.3 lack the files, paired texts and category names.
        categories = getattr(self, "categories_", None)
        if target == "images":
            ids, contents, labels = self.image_ids_, self.image_descriptions_, self.image_labels_
            texts, files = getattr(self, "image_texts_", None), getattr(self, "image_files_", None)
        else:
            ids, contents, labels = self.text_ids_, self.gallery_texts_, self.text_labels_
            texts, files = self.gallery_texts_, getattr(self, "text_files_", None)
        # Names of the hits only: naming the whole gallery cost 1,696 calls per webnews query.
        labels = None if labels is None else np.asarray(labels)
        # tolist: Python ints and floats at once, instead of converting numpy scalars one by one.
        return [
            [
                Hit(rank=r + 1, index=i, id=ids[i], score=s, content=contents[i],
                    label=None if labels is None else _label_name(labels, i, categories),
                    text=None if texts is None else texts[i],
                    file=None if files is None else files[i])
                for r, (s, i) in enumerate(zip(row_s, row_i))
            ]
            for row_s, row_i in zip(np.asarray(scores, dtype=np.float64).tolist(),
                                    np.asarray(indices, dtype=np.int64).tolist())
        ]

    def _search_gallery(self, target: str, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The best ``k`` items of the ``target`` gallery for each row of shared-space ``queries``.

        ``target`` is "images" or "texts"; ``k`` is cut to the gallery's size.
        Returns the searcher's ``(scores, indices)``. Used by the searches here,
        by ``rank_gallery`` and by the service.
        """
        if target == "images":
            gallery, ids = self.image_gallery_, self.image_ids_
        else:
            gallery, ids = self.text_gallery_, self.text_ids_
        return gallery.search(queries, k=min(k, len(ids)))

    def _query_vectors(self, modality: str, queries: list) -> np.ndarray:
        """Shared-space vectors of search queries; a query that would rank the gallery arbitrarily is refused.

        An empty text, a text none of whose words the text features know, or an
        image that gives no features at all (no keypoints) maps to the zero
        vector, whose "ranking" is arbitrary: :class:`EmptyInputError` or
        :class:`InputError` naming the query instead. (:meth:`evaluate` and
        :meth:`transform_texts` keep such rows, as zero vectors with a warning.)
        """
        check_is_fitted(self, "aligner_")
        several = len(queries) > 1

        def which(i: int) -> str:
            return f"query {i} " if several else "query "

        if modality == "text":
            queries = check_texts(queries)
            for i, query in enumerate(queries):
                if not query.strip():
                    raise EmptyInputError(f"the text {which(i)}is empty: give words to search for")
            stage, project = self.text_features_, self.aligner_.transform_y
        else:
            queries = check_images(queries)
            stage, project = self.image_features_, self.aligner_.transform
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EmptyFeatureWarning)  # refused below, with the query named
            features = stage.transform(queries)
        empty = _zero_rows(features)
        if len(empty):
            i = int(empty[0])
            if modality == "text":
                raise InputError(
                    f"the text {which(i)}{queries[i]!r} has no word the model knows (no term of the "
                    "vocabulary learned from its training texts): its ranking would be arbitrary"
                )
            from .image.io import describe_item

            raise InputError(
                f"the image {which(i)}({describe_item(queries[i])}) gives no image features (no keypoints "
                "found): its ranking would be arbitrary"
            )
        return project(features)

    def search_text(self, text: str | Sequence[str], k: int = 10) -> list[Hit] | list[list[Hit]]:
        """Rank the gallery images for a text query.

        Parameters
        ----------
        text : str or sequence of str
            One query, or several.
        k : int, default=10
            How many results per query.

        Returns
        -------
        list of Hit, or a list of such lists when several queries are given.
        """
        check_is_fitted(self, "aligner_")
        k = check_positive_int(k, "k")
        single = isinstance(text, str)
        queries = self._query_vectors("text", [text] if single else check_texts(text, name="text"))
        scores, indices = self._search_gallery("images", queries, k)
        hits = self._hits("images", scores, indices)
        return hits[0] if single else hits

    def search_image(self, image: Any, k: int = 10) -> list[Hit] | list[list[Hit]]:
        """Rank the gallery texts for an image query.

        Parameters
        ----------
        image : path, array or bytes, or a list of them
            One query image, or a list of several.
        k : int, default=10

        Returns
        -------
        list of Hit, or a list of such lists when a list of images is given.
        """
        check_is_fitted(self, "aligner_")
        k = check_positive_int(k, "k")
        single = not isinstance(image, list)
        queries = self._query_vectors("image", [image] if single else image)
        scores, indices = self._search_gallery("texts", queries, k)
        hits = self._hits("texts", scores, indices)
        return hits[0] if single else hits

    # --------------------------------------------------------------- evaluate
    def search(
        self,
        text: str | None = None,
        image: Any = None,
        *,
        weight: float = 0.5,
        target: str = "images",
        k: int = 10,
    ) -> list[Hit]:
        """Rank a gallery for a query made of a text and an image together (a fused query).

        Both are projected into the shared space, scaled to unit length and
        mixed as ``(1 - weight) * text + weight * image``. ``weight=0`` ranks
        exactly as :meth:`search_text` and ``weight=1`` exactly as
        :meth:`search_image`; with only ``text`` or only ``image`` the query is
        that one.

        Parameters
        ----------
        text : str, default=None
        image : path, array or encoded bytes, default=None
            One image.
        weight : float, default=0.5
            The image's share, from 0 (text only) to 1 (image only).
        target : {"images", "texts"}, default="images"
            Rank the gallery images or the gallery texts.
        k : int, default=10

        Returns
        -------
        list of Hit
            Best first.

        Examples
        --------
        >>> from classicx import CrossModalRetriever, datasets
        >>> data = datasets.load_synthetic(n_train=120, n_test=40, random_state=0)
        >>> model = CrossModalRetriever(verbose=False, random_state=0)
        >>> model = model.fit(data.train.images, data.train.texts, labels=data.train.labels)
        >>> hits = model.search(text="a red circle", image=data.test.images[0], weight=0.3, k=3)
        >>> [hit.rank for hit in hits]
        [1, 2, 3]
        >>> model.search(text="a red circle", image=data.test.images[0], weight=0.0, k=3) == model.search_text(
        ...     "a red circle", k=3)
        True
        """
        from ._fusion import fused_search

        check_is_fitted(self, "aligner_")
        return fused_search(self, text, image, weight=weight, target=target, k=k)

    def evaluate(
        self,
        images: Sequence[Any],
        texts: Sequence[str],
        labels: Any = None,
        *,
        k: int = 10,
    ) -> RetrievalReport:
        """Rank one modality of an evaluation set by the other and score it.

        Every image queries all ``texts`` and every text queries all
        ``images``; the ranking is exact, with the metric (and, for exact
        searchers, the precision) of the gallery searchers, since MAP over the
        full ranking needs every item ranked, which approximate indexes do not
        promise. With ``labels``, an item is
        relevant when its category equals the query's (or, for 0/1
        multi-label rows, when they share a label); without, only the paired
        item is relevant.

        Parameters
        ----------
        images : sequence of paths, arrays or bytes
        texts : sequence of str
            Paired with ``images`` row by row.
        labels : array-like of shape (n,) or (n, n_labels), default=None
        k : int, default=10
            Cutoff of precision@k.

        Returns
        -------
        RetrievalReport
            From :func:`classicx.metrics.evaluate_retrieval`.
        """
        images, texts = check_images(images), check_texts(texts)
        check_paired(len(images), len(texts))
        labels = None if labels is None else check_labels(labels, len(texts))
        check_is_fitted(self, "aligner_")
        # The ranking uses the similarity and precision of the gallery searchers (an exact searcher's
        # defaults: cosine, float32), so evaluating ranks as searching does.
        metric = getattr(self.text_gallery_, "metric", "cosine")
        dtype = getattr(self.text_gallery_, "dtype", "float32")
        return evaluate_retrieval(
            self.transform_images(images), self.transform_texts(texts), labels, metric=metric, k=k,
            dtype=dtype if dtype in ("float32", "float64") else "float32",
        )

    def score(self, images: Sequence[Any], texts: Sequence[str], labels: Any = None) -> float:
        """Mean of image→text and text→image MAP (for ``GridSearchCV``)."""
        report = self.evaluate(images, texts, labels)
        return (report.map_image_to_text + report.map_text_to_image) / 2
