"""The ``classicx`` command: demo, fit, search and evaluate from the shell.

Run ``classicx --help`` or ``classicx COMMAND --help`` for the options. Bad
arguments and bad input end with a one-line message and a non-zero exit
status (2 for usage errors, 1 for errors in the data or model).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .utils.arguments import positive_int

__all__ = ["main", "build_parser"]


def _test_size(text: str) -> float | int:
    """A fraction in [0, 1) or a whole number of pairs, as the loaders' ``test_size`` takes it."""
    try:
        value: float | int = int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a fraction in [0, 1) or a whole number of pairs, got {text!r}") from None
        if not 0 <= value < 1:
            raise argparse.ArgumentTypeError(f"a fractional test size must lie in [0, 1), got {value}")
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1) or a whole number of pairs, got {value}")
    return value


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of jobs (-1 = all cores), got {text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError("--jobs cannot be 0 (use 1 for serial, -1 for all cores)")
    return value


# Shorthand options of 'demo' and 'fit': option -> (stage, test of a nested parameter key of that stage
# as get_params(deep=True) writes it, and of its value). A shorthand sets every matching parameter of the
# stage built from its spec (--image SPEC, or the preset's); a stage without one is an error.
def _last(name: str):
    return lambda key, value: key.split("__")[-1] == name


_SHORTHANDS = {
    "descriptor": ("image_features", lambda key, value: (key.split("__")[-1] == "descriptor" and isinstance(value, str))
                   or key.endswith("descriptor__kind")),
    "words": ("image_features", lambda key, value: (key.split("__")[-1] == "vocabulary" and isinstance(value, int))
              or key.endswith("vocabulary__n_words")),
    "text_dim": ("text_features", _last("n_components")),
    "components": ("aligner", _last("n_components")),
    "reg": ("aligner", _last("reg")),
    "weight_power": ("aligner", _last("weight_power")),
}
_STAGE_FLAGS = {"image_features": "--image", "text_features": "--text", "aligner": "--aligner",
                "searcher": "--searcher"}


def _duration(text: str) -> float:
    from .exceptions import ClassicxError
    from .spec import parse_duration

    try:
        return parse_duration(text)
    except (ClassicxError, ValueError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    from .presets import PRESET_NAMES, preset_specs
    from .retriever import CrossModalRetriever

    preset = CrossModalRetriever().preset
    specs = preset_specs(preset)
    group = parser.add_argument_group(
        "the model",
        f"a stage not given as a SPEC (see classicx.spec) comes from --preset; {preset!r}, the default, is "
        f"image {specs['image_features']}, text {specs['text_features']}, aligner {specs['aligner']} "
        f"(with labels; {preset_specs(preset, labels=False)['aligner']} without), searcher {specs['searcher']}",
    )
    group.add_argument("--preset", choices=PRESET_NAMES,
                       help=f"the whole pipeline in one word (default: {preset}); 'auto' chooses the stages "
                       "by cross-validation on the training split within --budget")
    group.add_argument("--budget", type=_duration, metavar="DURATION",
                       help="time 'auto' may spend choosing, e.g. 90s, 10m, 1h30m (default: 10m)")
    group.add_argument("--image", metavar="SPEC", help="image features, e.g. 'fisher(rootsift,64)+0.5*hsv', "
                       "'bovw(sift,512)', 'vlad(rootsift,64)', 'hsv'")
    group.add_argument("--text", metavar="SPEC", help="text features, e.g. 'lsa(200)|l2', 'tfidf(1-2)', 'lda(50)'")
    group.add_argument("--aligner", metavar="SPEC", help="shared space, e.g. 'cca(32,reg=0.3)', 'sm(balanced)', "
                       "'kcca-scm(chi2)', '3cca(9)'")
    group.add_argument("--searcher", metavar="SPEC",
                       help="search backend: exact, hnswlib, annoy, lsh, faiss:INDEX (e.g. faiss:HNSW32); "
                       "approximate ones need the 'ann' extra (default: exact cosine search)")
    short = parser.add_argument_group(
        "shorthands", "each sets every parameter of that name in its stage (the --image/--text/--aligner SPEC, "
        "or the preset's); one that the stage does not have is an error")
    short.add_argument("--descriptor", choices=["sift", "rootsift", "orb", "dense_sift"],
                       help="local image descriptor of the image features")
    short.add_argument("--words", type=positive_int, help="visual vocabulary size (number of words or Gaussians)")
    short.add_argument("--text-dim", type=positive_int, help="dimensions of the text features (LSA, LDA)")
    short.add_argument("--components", type=positive_int, help="dimensions of a CCA-type shared space")
    short.add_argument("--reg", type=float, help="CCA regularisation in [0, 1]: 0 = plain CCA, 1 = PLS")
    short.add_argument("--weight-power", type=float,
                       help="weight CCA dimensions by canonical correlation to this power")


# Loading options of 'fit' and 'evaluate': loader parameter -> command-line flag. The model
# records the options 'fit' used (classicx._dataset_record) and 'evaluate' reuses them.
_DATA_FLAGS = {
    "on_error": "--skip-missing",
    "test_size": "--test-size",
    "random_state": "--split-seed",
    "image_column": "--image-column",
    "text_column": "--text-column",
    "label_column": "--label-column",
    "split_column": "--split-column",
    "id_column": "--id-column",
}


def _add_data_options(parser: argparse.ArgumentParser, *, evaluate: bool = False) -> None:
    group = parser.add_argument_group(
        "loading the dataset",
        "evaluate loads its dataset as 'fit' loaded the model's training data (recorded in the model) "
        "unless an option below says otherwise" if evaluate else
        "recorded in the model, so that 'classicx evaluate' loads its dataset the same way",
    )
    skip_help = ("skip rows whose files are missing or whose image, text or label is empty "
                 "(with a warning naming them) instead of failing")
    if evaluate:
        group.add_argument("--skip-missing", action=argparse.BooleanOptionalAction, default=None,
                           help=skip_help + " (default: as at fit)")
    else:
        group.add_argument("--skip-missing", action="store_true", default=None, help=skip_help)
    for name, what in (("image", "image paths"), ("text", "texts (or .txt/.xml paths)"),
                       ("label", "category names"), ("split", "split (train or test)"), ("id", "pair ids")):
        group.add_argument(f"--{name}-column", metavar="NAME",
                           help=f"CSV/TSV column of the {what} (default: {name!r}"
                           + ("; an empty NAME ignores the column)" if name in ("label", "split", "id") else ")"))
    group.add_argument("--test-size", type=_test_size, metavar="SIZE",
                       help="without a split column (CSV) or in a folder per category: the fraction "
                       "(e.g. 0.25, the default) or number of pairs in the test split")
    group.add_argument("--split-seed", type=int, metavar="N",
                       help="seed of that train/test split (default: 0)")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-j", "--jobs", type=_jobs, default=-1,
                        help="parallel jobs, -1 = all cores (default: %(default)s)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``classicx`` command."""
    parser = _Parser(
        prog="classicx",
        description="Classical cross-modal retrieval between images and text.",
        epilog="Run 'classicx COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"classicx {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)

    demo = sub.add_parser("demo", help="run the whole pipeline on the built-in synthetic data",
                          description="Generate the built-in synthetic image-caption dataset, fit the default "
                          "retriever, and print MAP, precision@10, chance levels and example queries.")
    demo.add_argument("--n-train", type=positive_int, default=600, help="training pairs (default: %(default)s)")
    demo.add_argument("--n-test", type=positive_int, default=200, help="test pairs (default: %(default)s)")
    _add_model_options(demo)
    _add_common(demo)

    fit = sub.add_parser("fit", help="fit a retriever on a dataset and save it",
                         description="Fit on the training split of DATASET and save the model to --output. "
                         "DATASET is a directory in the Wikipedia layout (trainset_txt_img_cat.list ...), "
                         "a CSV/TSV file, or a folder with one sub-folder per category.")
    fit.add_argument("dataset", type=Path, help="dataset directory or CSV/TSV file")
    fit.add_argument("-o", "--output", type=Path, required=True, help="model directory to write")
    _add_data_options(fit)
    fit.add_argument("--evaluate", action="store_true",
                     help="after fitting, score the model on the dataset's test split, print the scores and "
                     "record them in the model (shown by 'classicx serve' as the model's MAP)")
    fit.add_argument("--scheduler", metavar="ADDRESS", default=None,
                     help="run the fit on a Dask cluster: tcp://HOST:8786 for a running scheduler, or "
                     "local:N for a local cluster of N worker processes (needs the dask extra)")
    _add_model_options(fit)
    _add_common(fit)

    search = sub.add_parser("search", help="query a saved model with a text or an image",
                            description="Rank the model's gallery: images for --text, texts for --image.")
    search.add_argument("model", type=Path, help="model directory written by 'classicx fit'")
    query = search.add_mutually_exclusive_group(required=True)
    query.add_argument("--text", help="text query (returns images)")
    query.add_argument("--image", type=Path, help="image file query (returns texts)")
    search.add_argument("-k", type=positive_int, default=5, help="results to show (default: %(default)s)")
    search.add_argument("--json", action="store_true", help="print the results as JSON")
    search.add_argument("--html", type=Path, metavar="FILE",
                        help="also write the results as a self-contained HTML page with thumbnails")

    evaluate = sub.add_parser("evaluate", help="score a saved model on a dataset's test split",
                              description="Rank each modality of the test split by the other and print "
                              "MAP, precision@k and chance levels.")
    evaluate.add_argument("model", type=Path, help="model directory written by 'classicx fit'")
    evaluate.add_argument("dataset", type=Path, help="dataset directory or CSV/TSV file")
    evaluate.add_argument("--split", choices=["train", "test"], default="test", help="split to score (default: %(default)s)")
    evaluate.add_argument("-k", type=positive_int, default=10, help="cutoff of precision@k (default: %(default)s)")
    evaluate.add_argument("--strict", action="store_true",
                          help="refuse (exit status 1) when evaluation pairs are training pairs of the model, "
                          "or when the model does not record its training pairs")
    _add_data_options(evaluate, evaluate=True)
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.add_argument("--record", action="store_true",
                          help="record the scores in the model directory (shown by 'classicx serve'); "
                          "test split only, refused when evaluation pairs are training pairs")
    evaluate.add_argument("--html", type=Path, metavar="FILE",
                          help="also write a self-contained HTML report: scores, precision-recall curves, "
                          "example queries (chosen with --seed) with thumbnails")
    evaluate.add_argument("--plot", type=Path, metavar="FILE",
                          help="also draw the precision-recall curves of both directions to FILE "
                          "(.png, .svg, .pdf; needs matplotlib: the 'plot' extra)")
    evaluate.add_argument("--seed", type=int, default=0,
                          help="seed that chooses the example queries of --html (default: %(default)s)")
    evaluate.add_argument("-j", "--jobs", type=_jobs, default=-1,
                          help="parallel jobs, -1 = all cores (default: %(default)s)")
    evaluate.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    from .serve import add_serve_command

    add_serve_command(sub)
    return parser


def _make_retriever(args: argparse.Namespace, labels: bool = True):
    """The retriever the model options describe: ``CrossModalRetriever(preset=..., <stage>=SPEC, ...)``.

    A stage given as a SPEC is passed as that string and one left out stays
    ``None`` (the preset fills it at fit time), unless a shorthand option
    applies to it: then the stage is built here, from its SPEC or the
    preset's spec for data with (or without, ``labels=False``) labels, and
    the shorthand set on it. Every SPEC is checked here, before any data is read.
    """
    from .exceptions import InputError
    from .presets import preset_specs
    from .retriever import CrossModalRetriever
    from .spec import build

    preset = args.preset if args.preset is not None else CrossModalRetriever().preset
    if args.budget is not None and preset != "auto":
        raise InputError(f"--budget is for --preset auto (the preset is {preset!r})")
    stages: dict = {}
    for stage, flag in _STAGE_FLAGS.items():
        spec = getattr(args, flag[2:])
        if spec is not None:
            build(spec, stage)  # a bad spec fails now, naming the valid names
        chosen = {option: getattr(args, option) for option, (where, _) in _SHORTHANDS.items()
                  if where == stage and getattr(args, option) is not None}
        if not chosen:
            stages[stage] = spec
            continue
        if spec is None and preset == "auto":
            raise InputError(f"--{next(iter(chosen)).replace('_', '-')} needs a fixed {stage.split('_')[0]} stage: "
                             f"give {flag} SPEC, or a preset other than auto")
        spec = spec if spec is not None else preset_specs(preset, labels)[stage]
        built = build(spec, stage)
        params = built.get_params(deep=True)
        for option, value in chosen.items():
            keys = [key for key, current in params.items() if _SHORTHANDS[option][1](key, current)]
            if not keys:
                raise InputError(f"--{option.replace('_', '-')} does not apply to the {stage.split('_')[0]} stage "
                                 f"{spec!r}, which has no such parameter; give {flag} SPEC instead")
            built.set_params(**{key: value for key in keys})
        stages[stage] = built
    return CrossModalRetriever(**stages, preset=preset, time_budget=args.budget, n_jobs=args.jobs,
                               verbose=not args.quiet, random_state=args.seed)


def _stage_specs(model, labels: bool = True) -> dict[str, str]:
    """The spec of each stage of ``model``: as given, or the preset's (``auto``: what it chose, once fitted)."""
    from .presets import preset_specs
    from .spec import to_spec

    chosen = getattr(model, "preset_stages_", None) or {}
    specs = {}
    for stage in _STAGE_FLAGS:
        given = getattr(model, stage)
        if given is None:
            specs[stage] = chosen.get(stage) or ("(chosen by auto)" if model.preset == "auto"
                                                 else preset_specs(model.preset, labels)[stage])
        else:
            specs[stage] = given if isinstance(given, str) else to_spec(given)
    return specs


def _describe(model, labels: bool = True) -> str:
    """One line naming the preset and the spec of each stage."""
    specs = _stage_specs(model, labels)
    return f"preset {model.preset}: " + ", ".join(
        f"{flag[2:]} {specs[stage]}" for stage, flag in _STAGE_FLAGS.items())


def _print_leaderboard(model, out) -> None:
    """What ``--preset auto`` tried, best first, and what it kept (also on stderr while it runs, unless -q)."""
    from ._autoselect import leaderboard_table

    board = getattr(model, "leaderboard_", None) or []
    if not board:
        return
    print("auto: candidates cross-validated on the training split, best first:", file=out)
    print(leaderboard_table(board), file=out)
    print(f"auto kept: {_describe(model)}", file=out)


def _short(text: str, width: int = 70) -> str:
    from .report import shorten

    return shorten(text, width)


def _hit_line(hit, target: str, wanted: str | None = None) -> str:
    """One line per hit: rank, score, id, label (marked right or wrong against ``wanted``), what it is."""
    label = ""
    if hit.label is not None:
        mark = ""
        if wanted is not None:
            mark = "✓ " if set(hit.label.split("|")) & set(wanted.split("|")) else "✗ "
        label = f"  {mark}{hit.label}"
    line = f"  {hit.rank:>2}. {hit.score:+.3f}  [{hit.id}]{label}  "
    if target == "images":
        line += _short(hit.content, 50)
        if hit.file is not None and not hit.file.endswith(hit.content):  # the path, where the content is not it
            line += f"  ({hit.file})"
        if hit.text is not None:
            line += f"  — “{_short(hit.text, 40)}”"
    else:
        line += f"“{_short(hit.content, 60)}”"
        if hit.file is not None:
            line += f"  ({hit.file})"
    return line


def _print_hits(hits, out, target: str = "images", wanted: str | None = None) -> None:
    for hit in hits:
        print(_hit_line(hit, target, wanted), file=out)


def _demo_queries(categories: Sequence[str], seed: int, n: int = 3) -> list[tuple[str, str]]:
    """Text queries of the demo, written from the synthetic data's own words before anything is ranked."""
    import numpy as np

    rng = np.random.RandomState(seed)
    # Plain shape and colour names: each is a word of the generated captions (classicx.datasets.SHAPES,
    # colour names of describe_scene), so the query's category is known and every word is in the vocabulary.
    colours = ("red", "blue", "green", "yellow", "white", "black")
    shapes = [categories[i] for i in rng.permutation(len(categories))[:n]]
    return [(f"a {colours[rng.randint(len(colours))]} {shape}", shape) for shape in shapes]


def _cmd_demo(args: argparse.Namespace, out) -> int:
    from .datasets import load_synthetic
    from .report import pick_examples

    start = time.perf_counter()
    print(f"classicx {__version__} demo: built-in synthetic image-caption data "
          f"({args.n_train} training pairs, {args.n_test} test pairs, seed {args.seed})", file=out)
    data = load_synthetic(n_train=args.n_train, n_test=args.n_test, random_state=args.seed)
    # The example queries are fixed here, from the seed alone, before the model ranks anything.
    text_queries = _demo_queries(data.categories, args.seed)
    image_queries = pick_examples(data.test.labels, 2, seed=args.seed) if len(data.test) else []
    model = _make_retriever(args)
    print(f"fitting {_describe(model)}", file=out)
    model.fit(data.train.images, data.train.texts, labels=data.train.labels,
              ids=data.train.ids, descriptions=data.train.descriptions, categories=data.categories)
    _print_leaderboard(model, out)
    if not len(data.test):
        print(f"\nno test pairs (--n-test 0): nothing to evaluate; done in {time.perf_counter() - start:.1f} s",
              file=out)
        return 0
    report = model.evaluate(data.test.images, data.test.texts, labels=data.test.labels)
    print(f"\nTest set, {len(data.categories)} categories ({', '.join(data.categories)}):", file=out)
    print(report.to_table(), file=out)

    model.index(images=data.test.images, texts=data.test.texts, image_ids=data.test.ids, text_ids=data.test.ids,
                image_labels=data.test.labels, text_labels=data.test.labels,
                descriptions=data.test.descriptions, paired=True)
    print(f"\nExample queries on the test gallery (chosen from seed {args.seed} before ranking; "
          "✓/✗: the hit has / has not the query's category):", file=out)
    right = total = 0
    for query, shape in text_queries:
        print(f"\ntext → images: “{query}” (looking for: {shape})", file=out)
        hits = model.search_text(query, k=3)
        _print_hits(hits, out, "images", shape)
        right, total = right + sum(h.label == shape for h in hits), total + len(hits)
    for i in image_queries:
        shape = data.categories[int(data.test.labels[i])]
        print(f"\nimage → texts: image [{data.test.ids[i]}] {data.test.descriptions[i]} (category {shape})", file=out)
        # The query image is in the gallery too; its own caption is a fair hit.
        hits = model.search_image(data.test.images[i], k=3)
        _print_hits(hits, out, "texts", shape)
        right, total = right + sum(h.label == shape for h in hits), total + len(hits)
    print(f"\n{right} of {total} example hits have the query's category; done in "
          f"{time.perf_counter() - start:.1f} s", file=out)
    return 0


def _loader(name: str):
    from . import datasets

    return {"csv": datasets.load_csv, "folder": datasets.load_folder,
            "wikipedia": datasets.load_wikipedia_layout}[name]


def _data_options(args: argparse.Namespace, path: Path, recorded: dict | None = None) -> tuple[str, dict, dict]:
    """The loader for ``path`` and its options: the loader's defaults, then the record's, then the flags given.

    Returns the loader name, the options, and those taken from the record
    that differ from the loader's defaults (what ``evaluate`` says it reused).
    """
    import inspect

    from ._dataset_record import LOADERS, loader_of
    from .exceptions import InputError

    loader = loader_of(path)
    given: dict = {}
    for key, flag in _DATA_FLAGS.items():
        value = getattr(args, flag[2:].replace("-", "_"), None)
        if value is None:
            continue
        if key not in LOADERS[loader]:
            kinds = [name for name, keys in LOADERS.items() if key in keys]
            raise InputError(f"{flag} applies to {' and '.join(kinds)} datasets; {path} is read as a "
                             f"{loader} dataset")
        if key == "on_error":
            value = "skip" if value else "raise"
        elif key in ("label_column", "split_column", "id_column") and value == "":
            value = None  # an empty NAME ignores an optional column
        given[key] = value
    parameters = inspect.signature(_loader(loader)).parameters
    defaults = {key: parameters[key].default for key in LOADERS[loader]}
    reused: dict = {}
    if recorded is not None and recorded.get("loader") == loader:
        reused = {k: v for k, v in recorded["options"].items() if k in LOADERS[loader] and k not in given}
    options = {**defaults, **reused, **given}
    return loader, options, {k: v for k, v in reused.items() if v != defaults[k]}


def _as_flags(options: dict) -> str:
    """Loader options written as the flags that set them (``--skip-missing --test-size 0.3``)."""
    words = []
    for key, value in options.items():
        flag = _DATA_FLAGS[key]
        if key == "on_error":
            words.append(flag if value == "skip" else "--no-skip-missing")
        elif value is None:
            words.append(f"{flag} ''")
        else:
            words.append(f"{flag} {value!r}" if isinstance(value, str) else f"{flag} {value}")
    return " ".join(words)


def _load(path: Path, options: dict, loader: str):
    return _loader(loader)(path, **options)


def _check_output_file(path: Path | None, flag: str) -> None:
    """Before any work: the folder of an output file exists and the path is not a directory."""
    from .exceptions import ModelWriteError

    if path is None:
        return
    path = path.expanduser()
    if path.is_dir():
        raise ModelWriteError(f"{flag} {path}: is a directory; give a file name")
    if not path.parent.is_dir():
        raise ModelWriteError(f"{flag} {path}: the folder {path.parent} does not exist")


def _cmd_fit(args: argparse.Namespace, out) -> int:
    from ._dataset_record import make_record
    from .persistence import check_writable

    check_writable(args.output)  # before any work: a fit of many minutes must not end in a refusal
    _make_retriever(args)  # the model options are checked before the data is read
    loader, options, _ = _data_options(args, args.dataset)
    data = _load(args.dataset, options, loader)
    labels = data.train.labels is not None
    model = _make_retriever(args, labels=labels)
    print(f"fitting on {len(data.train)} training pairs of {args.dataset}"
          f"{'' if labels else ' (no labels)'}: {_describe(model, labels)}", file=out)
    if args.scheduler:
        from .distributed import fit_on_cluster

        fit_on_cluster(model, data.train, args.scheduler, out=out)
    else:
        model.fit(data.train.images, data.train.texts, labels=data.train.labels,
                  ids=data.train.ids, descriptions=data.train.descriptions, categories=data.categories or None)
    _print_leaderboard(model, out)
    # Saved with the model: 'evaluate' loads its data the same way and finds evaluation pairs it was trained on.
    model.dataset_record_ = make_record(args.dataset, loader, options, data.train, verbose=not args.quiet)
    if args.evaluate:
        if not len(data.test) or data.test.labels is None:
            from .exceptions import EmptyInputError

            raise EmptyInputError(f"--evaluate: {args.dataset} has no labelled test split to score "
                                  "(see --test-size and --label-column)")
        report = model.evaluate(data.test.images, data.test.texts, labels=data.test.labels)
        print(f"\ntest split of {args.dataset}:", file=out)
        print(report.to_table(), file=out)
        model.evaluation_ = _evaluation_record(report, args.dataset)
    model.save(args.output)
    print(f"model saved to {args.output}", file=out)
    return 0


def _cmd_search(args: argparse.Namespace, out) -> int:
    import dataclasses

    from .retriever import CrossModalRetriever

    _check_output_file(args.html, "--html")
    model = CrossModalRetriever.load(args.model)
    model.set_params(verbose=False)
    target = "images" if args.text is not None else "texts"
    hits = model.search_text(args.text, k=args.k) if args.text is not None else model.search_image(str(args.image), k=args.k)
    if args.json:
        print(json.dumps([dataclasses.asdict(h) for h in hits], ensure_ascii=False, indent=1), file=out)
    else:
        _print_hits(hits, out, target)
    if args.html is not None:
        from .report import search_page, write_page

        page = search_page(hits, query_text=args.text, query_image=None if args.image is None else str(args.image),
                           model=str(args.model))
        print(f"results page written to {write_page(args.html, page)}", file=sys.stderr)
    return 0


def _overlap_warning(model, split, args) -> str | None:
    """The warning about evaluation pairs that are training pairs (None when there are none); --strict refuses."""
    from ._dataset_record import overlapping
    from .exceptions import DatasetError

    record = getattr(model, "dataset_record_", None)
    if record is None:
        message = ("the model does not record its training pairs (it was not fitted by 'classicx fit'), so "
                   "whether evaluation pairs are training pairs cannot be checked")
        if args.strict:
            raise DatasetError(message + " (--strict)")
        return message
    rows = overlapping(record, split.images, split.texts, verbose=not args.quiet)
    if not len(rows):
        return None
    shown = ", ".join(split.ids[i] for i in rows[:10]) + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")
    message = (f"{len(rows)} of {len(split)} evaluation pairs ({len(rows) / len(split):.0%}) are training pairs "
               f"of this model (same image and text): their scores are inflated; ids {shown}")
    if args.strict:
        raise DatasetError(message + " (--strict refuses to score them)")
    return message


def _evaluation_record(report, dataset: Path) -> dict:
    """What a model records of its test-split scores (``evaluation_``, read by ``classicx serve``)."""
    record = {key: value for key, value in report.to_dict().items()
              if isinstance(value, (int, float, str)) and not isinstance(value, bool)}
    record.update(dataset=str(dataset), split="test")
    return record


def _cmd_evaluate(args: argparse.Namespace, out) -> int:
    from .retriever import CrossModalRetriever

    _check_output_file(args.html, "--html")
    _check_output_file(args.plot, "--plot")
    if args.record and args.split != "test":
        from .exceptions import ParameterError

        raise ParameterError("--record records test-split scores only: a model's recorded MAP comes from "
                             "held-out pairs, not from --split train")
    if args.plot is not None:
        import importlib.util

        from .exceptions import BackendUnavailableError

        if importlib.util.find_spec("matplotlib") is None:  # before the work, not after it
            raise BackendUnavailableError("--plot needs matplotlib: pip install 'classicx[plot]'")
    model = CrossModalRetriever.load(args.model)
    model.set_params(verbose=not args.quiet, n_jobs=args.jobs)  # reaches the fitted stages
    record = getattr(model, "dataset_record_", None)
    loader, options, reused = _data_options(args, args.dataset, record)
    if reused:
        print(f"classicx evaluate: loading {args.dataset} as the model's training data was loaded: "
              f"{_as_flags(reused)}", file=sys.stderr)
    data = _load(args.dataset, options, loader)
    split = data.train if args.split == "train" else data.test
    if not len(split):
        from .exceptions import EmptyInputError

        raise EmptyInputError(f"the {args.split} split of {args.dataset} is empty (see --test-size)")
    overlap = _overlap_warning(model, split, args)
    if overlap is not None:
        print(f"classicx evaluate: WARNING: {overlap}", file=sys.stderr)
    categories = data.categories or None
    if args.html is not None or args.plot is not None:
        from .report import evaluation_details

        details = evaluation_details(model, split.images, split.texts, split.labels, ids=split.ids,
                                     categories=categories, k=args.k, seed=args.seed)
        report = details.report
    else:
        report = model.evaluate(split.images, split.texts, labels=split.labels, k=args.k)
    if args.json:
        result = report.to_dict()
        result["warnings"] = [] if overlap is None else [overlap]
        print(json.dumps(result, indent=1), file=out)
    else:
        print(report.to_table(), file=out)
        if overlap is not None:
            print(f"WARNING: {overlap}", file=out)
    if args.html is not None:
        from .report import evaluation_page, write_page

        page = evaluation_page(details, model=str(args.model), dataset=f"{args.dataset} ({args.split} split)",
                               warnings=[] if overlap is None else [overlap])
        print(f"report page written to {write_page(args.html, page)}", file=sys.stderr)
    if args.plot is not None:
        from .report import plot_precision_recall

        path = plot_precision_recall(details.curves, args.plot, title=f"{args.model.name} on {args.dataset.name}")
        print(f"precision-recall curves drawn to {path}", file=sys.stderr)
    if args.record:
        if overlap is not None:
            from .exceptions import InputError

            raise InputError(f"--record: not recorded, a model's recorded MAP comes from held-out pairs: {overlap}")
        # A fresh copy from disk: the stages' verbose/n_jobs set above for this run are not saved.
        recorded = CrossModalRetriever.load(args.model)
        recorded.evaluation_ = _evaluation_record(report, args.dataset)
        recorded.save(args.model)
        print(f"classicx evaluate: scores recorded in {args.model}", file=sys.stderr)
    return 0


# Hints written for the Python API, told in the words of the command line.
_FLAG_HINTS = (
    (re.compile(r"""Pass on_error=["']skip["'] to leave them out\."""), "Use --skip-missing to leave them out."),
    (re.compile(r"\btest_size="), "--test-size "),
    (re.compile(r"\b(image|text|label|split|id)_column ('[^']*')"), r"\1 column \2 (--\1-column)"),
    (re.compile(r"\(pass labels= to fit to use it\)"),
     "(give the dataset labels to use it: a label column, see --label-column, or a folder per category)"),
    (re.compile(r"pass labels= to fit to try them\)"),
     "give the dataset labels to try them: a label column, see --label-column, or a folder per category)"),
)


def _cli_message(message: str) -> str:
    """An error message with its Python-parameter hints replaced by the flags that set them."""
    for pattern, replacement in _FLAG_HINTS:
        message = pattern.sub(replacement, message)
    return message


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # One plain line per warning: a command-line user needs the message, not the source line.
    print(f"classicx: warning: {_cli_message(str(message))}", file=sys.stderr if file is None else file)


def _cmd_serve(args: argparse.Namespace, out) -> int:
    from .serve import run_serve_command

    return run_serve_command(args, out)


_COMMANDS = {
    "demo": _cmd_demo,
    "fit": _cmd_fit,
    "search": _cmd_search,
    "evaluate": _cmd_evaluate,
    "serve": _cmd_serve,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``classicx`` command; returns the exit status."""
    from .exceptions import ClassicxError

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return _COMMANDS[args.command](args, sys.stdout)
    except (ClassicxError, OSError) as exc:
        # OSError: a file the user named cannot be read or written (permissions, a directory, ...).
        print(f"classicx {args.command}: error: {_cli_message(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("classicx: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
