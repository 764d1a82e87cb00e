"""classicx.spec: short strings that build every stage of a retriever, in the spirit of faiss's ``index_factory``.

:func:`build` turns a spec into an unfitted estimator for one stage
(``"image"``, ``"text"``, ``"aligner"``, ``"searcher"``); :func:`to_spec`
writes an estimator back as the spec that rebuilds it, so that
``build(to_spec(e), stage).get_params()`` equals ``e.get_params()``.
:class:`~classicx.CrossModalRetriever` takes a spec or an estimator for each
stage, and the ``classicx`` command takes the same specs.

Grammar
-------
::

    spec    := term ("+" term)* ["|" norm]     image and text stages only for "+" and "|"
    term    := [number "*"] call               a weighted part of a concatenation
    call    := name ["(" [arg ("," arg)*] ")"]
    arg     := value | key "=" value           positional arguments first
    value   := number | a-b | true | false | none | word | 'quoted text' | "[" value,... "]" | call
    norm    := l2 | l1                         row normalisation of the (concatenated) features

Spaces are ignored, names are case-insensitive. A bare ``word`` in an
argument is a string (``bovw(rootsift,512)``: the descriptor kind
``"rootsift"``); a ``call`` in an argument is an estimator
(``bovw(rootsift(max_side=640),kmeans(512,n_init=3))``). ``a-b`` is an
integer range, written for n-gram ranges (``tfidf(1-2)``). Keywords are the
estimator's own constructor parameters (unknown ones are an error listing
the valid ones); text models also take the keywords of their
:class:`~classicx.text.Tokenizer` (``lda(50,segmenter=jieba)``). ``a+b``
builds a :class:`ConcatFeatures` (the parts' outputs side by side, ``0.5*b``
scaled by 0.5); ``|l2`` normalises its rows.

Names
-----
image
    ``bovw(D,N)`` :class:`~classicx.image.BagOfVisualWords`, ``sp(D,N,levels=L)``
    :class:`~classicx.image.SpatialPyramid` (``L`` levels 1, 2, 4, ...),
    ``vlad(D,N)`` :class:`~classicx.image.VLAD`, ``fisher(D,N)``
    :class:`~classicx.image.FisherVector` (``fisher(D,N,layout=[1,[3,1]])``: also one
    vector per horizontal third; a grid is a size ``g`` or ``[rows,columns]``), ``hsv`` or ``hsv(8,4,4)``
    :class:`~classicx.image.ColorHistogram` (``hsv(layout=[1,[3,1]])``: per region too), ``cnn(efficientnet-lite0)``
    :class:`~classicx.image.CNNFeatures` (``cnn`` extra). ``D`` is a
    descriptor kind (``sift``, ``rootsift``, ``dense_sift``, ``orb``) or a
    :class:`~classicx.image.LocalDescriptors` call (``rootsift(max_side=640)``);
    ``N`` a number of words or a vocabulary call (``kmeans(512)``,
    ``bkmeans(512)``, ``gmm(64,pca_components=32)``).
text
    ``tfidf`` / ``tfidf(1-2)`` :class:`~classicx.text.TfidfFeatures`,
    ``lsa(200)`` :class:`~classicx.text.TfidfLSA` (``lsa(200,tfidf(1-2))``),
    ``lda(50)`` :class:`~classicx.text.LdaTopics`, ``w2v(300)``
    :class:`~classicx.text.Word2VecEmbedding`, ``pretrained('vectors.txt')``
    :class:`~classicx.text.PretrainedEmbedding`, ``sentence(minilm)``
    :class:`~classicx.text.SentenceEmbedding` (``deep-text`` extra);
    ``tok(...)`` is a :class:`~classicx.text.Tokenizer` given as ``tokenizer=``.
aligner
    ``cca(32,reg=0.3)`` :class:`~classicx.subspace.RegularizedCCA`, ``pls(32)``
    :class:`~classicx.subspace.PLSSVD`, ``3cca(9)``
    :class:`~classicx.subspace.ThreeViewCCA`, ``kcca(chi2,32)``
    :class:`~classicx.subspace.KernelCCA`, ``sm`` / ``sm(balanced)``
    :class:`~classicx.subspace.SemanticMatching` (its ``class_weight``),
    ``scm`` / ``scm(cca(32),sm(balanced))``
    :class:`~classicx.subspace.SemanticCorrelationMatching`, ``kcca-scm(chi2)``
    (shorthand for ``scm(kcca(chi2,2))``, written back in full), ``mmd(16)``
    :class:`~classicx.subspace.MMDAlignment`, ``gram(16)``
    :class:`~classicx.subspace.GramAlignment`, ``kta(16)``
    :class:`~classicx.subspace.KernelTargetAlignment`, ``kta-scm(16)``
    (shorthand for ``scm(kta(16))``); kernels as values: ``chi2``,
    ``rbf``, ... or ``kmap(chi2,500)``
    (:class:`~classicx.subspace.KernelFeatureMap`), ``mmdk()``
    (:class:`~classicx.subspace.MMDKernel`).
searcher
    the specs of :func:`classicx.search.make_searcher` with the cosine metric:
    ``exact``, ``faiss:HNSW32``, ``faiss:IVF256,Flat;nprobe=16``, ``hnswlib``,
    ``hnswlib:M=32``, ``annoy``, ``lsh``; ``metric=NAME`` among the options
    sets another metric (``exact:metric=inner_product``).

A spec whose name needs an optional extra that is not installed is a
:class:`~classicx.exceptions.BackendUnavailableError` naming the extra.

Durations for time budgets (``"10m"``) are read by :func:`parse_duration`.

Examples
--------
>>> from classicx.spec import build, to_spec
>>> image = build("fisher(rootsift,64)+0.5*hsv", "image")
>>> [name for name, _ in image.transformers], image.weights
(['fisher', 'hsv'], {'hsv': 0.5})
>>> build("lsa(200)|l2", "text")
ConcatFeatures(normalize='l2', transformers=[('lsa', TfidfLSA(n_components=200))])
>>> to_spec(build("kcca-scm(chi2)", "aligner"))
'scm(kcca(chi2,2))'
"""

from ._compose import ConcatFeatures
from ._duration import parse_duration
from ._registry import build, describe_names, names, to_spec

__all__ = ["ConcatFeatures", "build", "describe_names", "names", "parse_duration", "to_spec"]
