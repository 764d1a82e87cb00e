"""The ``classicx`` command: demo, fit, search and evaluate from the shell.

Run ``classicx --help`` or ``classicx COMMAND --help`` for the options. Bad
arguments and bad input end with a one-line message and a non-zero exit
status (2 for usage errors, 1 for errors in the data or model).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import textwrap
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .utils.arguments import positive_int

__all__ = ["main", "build_parser"]


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of jobs (-1 = all cores), got {text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError("--jobs cannot be 0 (use 1 for serial, -1 for all cores)")
    return value


# Model options of 'demo' and 'fit': option -> parameter of the retriever built from default_stages().
# An option left out keeps the stage's default; the help text shows that default.
_MODEL_OPTIONS = {
    "descriptor": "image_features__descriptor",
    "words": "image_features__vocabulary",
    "text_dim": "text_features__n_components",
    "components": "aligner__n_components",
    "reg": "aligner__reg",
    "weight_power": "aligner__weight_power",
}


def _default_model():
    from .retriever import CrossModalRetriever, default_stages

    return CrossModalRetriever(**default_stages())


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    defaults = _default_model().get_params(deep=True)

    def default(option: str) -> str:
        return f"(default: {defaults[_MODEL_OPTIONS[option]]})"

    parser.add_argument("--descriptor", choices=["sift", "rootsift", "orb", "dense_sift"],
                        help=f"local image descriptor {default('descriptor')}")
    parser.add_argument("--words", type=positive_int, help=f"visual vocabulary size {default('words')}")
    parser.add_argument("--text-dim", type=positive_int,
                        help=f"LSA dimensions of the text features {default('text_dim')}")
    parser.add_argument("--components", type=positive_int,
                        help=f"dimensions of the shared CCA space {default('components')}")
    parser.add_argument("--reg", type=float,
                        help=f"CCA regularisation in [0, 1]: 0 = plain CCA, 1 = PLS {default('reg')}")
    parser.add_argument("--weight-power", type=float,
                        help="weight shared dimensions by canonical correlation to this power "
                        f"{default('weight_power')}")
    parser.add_argument("--searcher",
                        help="search backend spec: exact, hnswlib, annoy, lsh, faiss:INDEX "
                        "(e.g. faiss:HNSW32); approximate ones need the 'ann' extra "
                        f"(default: the retriever's {defaults['searcher']!r}, exact cosine search)")


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
    fit.add_argument("--skip-missing", action="store_true",
                     help="skip rows whose files are missing or whose image, text or label is empty "
                     "(with a warning) instead of failing")
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

    evaluate = sub.add_parser("evaluate", help="score a saved model on a dataset's test split",
                              description="Rank each modality of the test split by the other and print "
                              "MAP, precision@k and chance levels.")
    evaluate.add_argument("model", type=Path, help="model directory written by 'classicx fit'")
    evaluate.add_argument("dataset", type=Path, help="dataset directory or CSV/TSV file")
    evaluate.add_argument("--split", choices=["train", "test"], default="test", help="split to score (default: %(default)s)")
    evaluate.add_argument("-k", type=positive_int, default=10, help="cutoff of precision@k (default: %(default)s)")
    evaluate.add_argument("--skip-missing", action="store_true",
                          help="skip rows whose files are missing or whose image, text or label is empty")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.add_argument("-j", "--jobs", type=_jobs, default=-1,
                          help="parallel jobs, -1 = all cores (default: %(default)s)")
    evaluate.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    from .serve import add_serve_command

    add_serve_command(sub)
    return parser


def _make_retriever(args: argparse.Namespace):
    """The default retriever with the model options given on the command line set on its stages."""
    model = _default_model()
    chosen = {param: getattr(args, option) for option, param in _MODEL_OPTIONS.items()
              if getattr(args, option) is not None}
    if args.searcher is not None:
        chosen["searcher"] = args.searcher
    return model.set_params(**chosen, n_jobs=args.jobs, verbose=not args.quiet, random_state=args.seed)


def _describe(model) -> str:
    """One line naming the stages of a retriever built by :func:`_make_retriever`."""
    p = model.get_params(deep=True)
    searcher = p["searcher"] if isinstance(p["searcher"], str) else "exact"
    return (f"{p['image_features__descriptor']} bag of {p['image_features__vocabulary']} visual words "
            f"+ TF-IDF/LSA({p['text_features__n_components']}) "
            f"+ regularised CCA({p['aligner__n_components']}, reg {p['aligner__reg']}) + {searcher} cosine search")


def _short(text: str, width: int = 70) -> str:
    return textwrap.shorten(" ".join(text.split()), width=width, placeholder=" …")


def _print_hits(hits, out) -> None:
    for hit in hits:
        print(f"  {hit.rank:>2}. [{hit.id}] {hit.score:+.3f}  {_short(hit.content)}", file=out)


def _cmd_demo(args: argparse.Namespace, out) -> int:
    from .datasets import load_synthetic

    start = time.perf_counter()
    print(f"classicx {__version__} demo: built-in synthetic image-caption data "
          f"({args.n_train} training pairs, {args.n_test} test pairs, seed {args.seed})", file=out)
    data = load_synthetic(n_train=args.n_train, n_test=args.n_test, random_state=args.seed)
    model = _make_retriever(args)
    print(f"fitting: {_describe(model)}", file=out)
    model.fit(data.train.images, data.train.texts, labels=data.train.labels,
              ids=data.train.ids, descriptions=data.train.descriptions)
    report = model.evaluate(data.test.images, data.test.texts, labels=data.test.labels)
    print(f"\nTest set, {len(data.categories)} categories ({', '.join(data.categories)}):", file=out)
    print(report.to_table(), file=out)

    model.index(images=data.test.images, texts=data.test.texts, image_ids=data.test.ids, text_ids=data.test.ids,
                image_labels=data.test.labels, text_labels=data.test.labels,
                descriptions=data.test.descriptions)
    print("\nExample queries on the test gallery:", file=out)
    for i in range(min(2, len(data.test))):
        query = data.test.texts[i]
        print(f"\ntext → images: \"{_short(query)}\" (category {data.categories[int(data.test.labels[i])]})", file=out)
        _print_hits(model.search_text(query, k=3), out)
    i = len(data.test) - 1
    print(f"\nimage → texts: image [{data.test.ids[i]}] {data.test.descriptions[i]} "
          f"(category {data.categories[int(data.test.labels[i])]})", file=out)
    _print_hits(model.search_image(data.test.images[i], k=3), out)
    print(f"\ndone in {time.perf_counter() - start:.1f} s", file=out)
    return 0


def _cmd_fit(args: argparse.Namespace, out) -> int:
    from .datasets import load_dataset
    from .persistence import check_writable

    check_writable(args.output)  # before any work: a fit of many minutes must not end in a refusal
    data = load_dataset(args.dataset, on_error="skip" if args.skip_missing else "raise")
    model = _make_retriever(args)
    print(f"fitting on {len(data.train)} training pairs of {args.dataset}", file=out)
    model.fit(data.train.images, data.train.texts, labels=data.train.labels,
              ids=data.train.ids, descriptions=data.train.descriptions)
    model.save(args.output)
    print(f"model saved to {args.output}", file=out)
    return 0


def _cmd_search(args: argparse.Namespace, out) -> int:
    from .retriever import CrossModalRetriever

    model = CrossModalRetriever.load(args.model)
    model.set_params(verbose=False)
    hits = model.search_text(args.text, k=args.k) if args.text is not None else model.search_image(str(args.image), k=args.k)
    if args.json:
        print(json.dumps([h.__dict__ for h in hits], ensure_ascii=False, indent=1), file=out)
    else:
        _print_hits(hits, out)
    return 0


def _cmd_evaluate(args: argparse.Namespace, out) -> int:
    from .datasets import load_dataset
    from .retriever import CrossModalRetriever

    model = CrossModalRetriever.load(args.model)
    model.set_params(verbose=not args.quiet, n_jobs=args.jobs)  # reaches the fitted stages
    data = load_dataset(args.dataset, on_error="skip" if args.skip_missing else "raise")
    split = data.train if args.split == "train" else data.test
    report = model.evaluate(split.images, split.texts, labels=split.labels, k=args.k)
    print(json.dumps(report.to_dict(), indent=1) if args.json else report.to_table(), file=out)
    return 0


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # One plain line per warning: a command-line user needs the message, not the source line.
    print(f"classicx: warning: {message}", file=sys.stderr if file is None else file)


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
        print(f"classicx {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("classicx: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
