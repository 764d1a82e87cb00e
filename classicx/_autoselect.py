"""``preset="auto"``: cross-validate candidate pipelines on the training pairs within a time budget.

The protocol (also in the retriever's docstring):

* The candidates are :data:`classicx.presets.AUTO_CANDIDATES`, cheapest
  features first, then the deep ones whose extras are installed
  (:func:`classicx.presets.deep_candidates`: CNN features with the ``cnn``
  extra; MiniLM sentence vectors with ``deep-text``, for texts not detected as
  Chinese), projected onto the stages the user left at ``None`` (a
  given stage is used as given in every candidate). Without labels only the
  unsupervised aligners are tried, and the retriever says so.
* Each image and text feature set is computed once, its encoder fitted on all
  the training pairs (the encoders are unsupervised: labels never reach
  them), and shared by every candidate that uses it; the winner's encoders and
  features are kept for the final model, so nothing is encoded twice.
* Each aligner is scored by 3-fold cross-validation on the training pairs
  (stratified by label when there are single labels): fitted on two folds,
  MAP of both directions on the third, as ``evaluate`` computes it with the
  gallery searcher's metric (when the searcher is chosen too: inner product
  for supervised aligners, whose outputs are class posteriors, cosine
  otherwise, as the presets). The best mean MAP wins and is refitted on all
  the training pairs by the retriever.
* Budget: no candidate starts once the budget is spent, and one whose
  estimated cost exceeds the time left is skipped; the first candidate always
  runs. The slack is therefore the candidate under way plus the final refit.
  The estimate is per candidate: the largest CV time measured so far, plus,
  for each feature set not computed yet, its relative cost
  (:data:`classicx.presets.FEATURE_COSTS`, the sum over the parts of a
  concatenation) times the largest seconds per unit of cost measured so far
  in that stage. A feature set with a part outside the table is estimated at
  the largest feature time of its stage measured so far.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold

from .exceptions import ClassicxError, ClassicxWarning, ParameterError
from .metrics import evaluate_retrieval
from .presets import AUTO_CANDIDATES, FEATURE_COSTS, deep_candidates
from .utils.messages import warn

__all__ = ["feature_estimate", "relative_cost", "select_stages"]

_FOLDS = 3
# The clock, a module attribute so that tests can replace it (the budget logic is tested without waiting).
_clock = time.perf_counter


def _label(stage_value: Any) -> str:
    if isinstance(stage_value, str):
        return stage_value
    from .spec import to_spec

    try:
        return to_spec(stage_value)
    except ParameterError:
        return repr(stage_value)


def _minutes(seconds: float) -> str:
    seconds = max(0.0, seconds)
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def _fold_score(aligner: Any, X: np.ndarray, Y: np.ndarray, labels: Any, train: np.ndarray, test: np.ndarray,
                metric: str, routed: bool) -> tuple[float, float]:
    import warnings

    fitted = clone(aligner)
    with warnings.catch_warnings():
        # A category missing from a small fold only warns (its queries have no relevant item).
        warnings.simplefilter("ignore", UserWarning)
        fitted.fit(X[train], Y[train], **({"labels": labels[train]} if routed else {}))
        report = evaluate_retrieval(fitted.transform(X[test]), fitted.transform_y(Y[test]),
                                    None if labels is None else labels[test], metric=metric)
    return report.map_image_to_text, report.map_text_to_image


def _candidates(retriever: Any, missing: list[str], has_labels: bool, texts: Any = None) -> tuple[list[dict], list[dict]]:
    """The distinct candidates for the free stages, and those left out because they need labels."""
    tried, without, seen = [], [], set()
    for image, text, aligner, needs_labels in (*AUTO_CANDIDATES, *deep_candidates(texts)):
        row = {
            "image_features": image if "image_features" in missing else retriever.image_features,
            "text_features": text if "text_features" in missing else retriever.text_features,
            "aligner": aligner if "aligner" in missing else retriever.aligner,
        }
        key = tuple(_label(v) for v in row.values())
        if key in seen:
            continue
        seen.add(key)
        if needs_labels and "aligner" in missing and not has_labels:
            without.append(row)
        else:
            tried.append(row)
    return tried, without


def relative_cost(spec: str) -> float | None:
    """The cost of computing a feature spec relative to the others (:data:`~classicx.presets.FEATURE_COSTS`).

    The sum over the parts of a concatenation (``fisher(rootsift,64)+0.5*hsv``: the Fisher vectors' cost
    plus the histogram's); ``None`` when a part is not in the table or the label is not a spec.
    """
    from .spec._grammar import Call, parse

    try:
        tree = parse(spec)
    except ParameterError:
        return None
    calls = [tree] if isinstance(tree, Call) else [call for _, call in tree.terms]
    costs = [FEATURE_COSTS.get(call.name.lower()) for call in calls]
    return None if any(c is None for c in costs) else float(sum(costs))


def feature_estimate(spec: str, measured: dict[str, float]) -> float:
    """Estimated seconds of a feature set not computed yet, from the ``measured`` seconds of its stage (spec -> s).

    Its relative cost times the largest measured seconds per unit of cost (the slowest rate seen: a
    cautious estimate on a machine whose load changes); the largest measured seconds when the spec or all
    the measured ones are outside :data:`~classicx.presets.FEATURE_COSTS`; 0 before anything is measured.
    """
    if not measured:
        return 0.0
    cost = relative_cost(spec)
    rates = [seconds / c for name, seconds in measured.items() if (c := relative_cost(name))]
    if cost is None or not rates:
        return max(measured.values())
    return cost * max(rates)


def _run(retriever, row, names, cache, feature_seconds, images, texts, labels, folds, metric, say):
    """Features (from the cache, or computed once) and the CV scores of one candidate; returns (i2t, t2i, CV s)."""
    from .retriever import _consumes_labels
    from .spec import build

    views = []
    for stage, column in (("image_features", images), ("text_features", texts)):
        key = (stage, names[stage])
        if key not in cache:
            say(f"    computing {stage.replace('_', ' ')} {names[stage]}")
            t = _clock()
            value = row[stage]
            encoder = retriever._prepare(build(value, stage) if isinstance(value, str) else value)
            features = encoder.fit_transform(column)
            # A TF-IDF matrix stays sparse (np.asarray would wrap it in a 0-d object array): the aligner decides.
            cache[key] = (encoder, features if sp.issparse(features) else np.asarray(features))
            feature_seconds[stage][names[stage]] = _clock() - t
        views.append(cache[key][1])
    X, Y = views
    value = row["aligner"]
    aligner = retriever._prepare(build(value, "aligner") if isinstance(value, str) else value)
    routed = labels is not None and _consumes_labels(aligner)
    if metric is None:  # the searcher is chosen too: as the presets, inner product for class posteriors
        metric = "inner_product" if routed else "cosine"
    t = _clock()
    scores = Parallel(n_jobs=retriever.n_jobs)(
        delayed(_fold_score)(aligner, X, Y, labels, train, test, metric, routed) for train, test in folds
    )
    i2t, t2i = (float(np.mean(s)) for s in zip(*scores))
    return i2t, t2i, _clock() - t, metric


def select_stages(
    retriever: Any, images: list, texts: list, labels: Any, missing: list[str], budget: float
) -> tuple[dict[str, str], list[dict], dict[str, Any]]:
    """Choose the stages in ``missing`` by cross-validation; see the module docstring.

    Returns
    -------
    (specs of the missing stages, leaderboard best first, {stage: (fitted encoder, training features)})
    """
    start = _clock()
    verbose = bool(retriever.verbose)

    def say(message: str) -> None:
        if verbose:
            print(f"[auto] {message}", file=sys.stderr, flush=True)

    def left() -> float:
        return budget - (_clock() - start)

    candidates, without = _candidates(retriever, missing, labels is not None, texts)
    if without:
        warn(f"preset 'auto' without labels: only unsupervised aligners are tried ({len(without)} supervised "
             "candidates need labels; pass labels= to fit to try them)", ClassicxWarning)
    # A given searcher ranks every candidate with its metric; otherwise each aligner gets its own (_run).
    metric = None if "searcher" in missing else getattr(retriever._given("searcher"), "metric", "cosine")
    if labels is not None and np.ndim(labels) == 1 and np.unique(labels, return_counts=True)[1].min() >= _FOLDS:
        folds = list(StratifiedKFold(_FOLDS, shuffle=True, random_state=0).split(np.zeros(len(images)), labels))
    else:
        folds = list(KFold(_FOLDS, shuffle=True, random_state=0).split(np.zeros(len(images))))
    cache: dict[tuple[str, str], tuple[Any, np.ndarray]] = {}
    feature_seconds: dict[str, dict[str, float]] = {"image_features": {}, "text_features": {}}
    cv_seconds = 0.0
    board: list[dict] = []
    say(f"{len(candidates)} candidates, {_FOLDS}-fold CV on {len(images)} training pairs, budget {_minutes(budget)}")
    for number, row in enumerate(candidates, 1):
        names = {stage: _label(value) for stage, value in row.items()}
        entry = {**names, **({"searcher": None} if "searcher" in missing else {}), "cv_map": None, "cv_image_to_text": None, "cv_text_to_image": None, "seconds": None}
        estimate = cv_seconds + sum(
            feature_estimate(names[stage], measured) for stage, measured in feature_seconds.items()
            if (stage, names[stage]) not in cache
        )
        if any(e["status"] == "done" for e in board):  # the first candidate always runs
            if left() <= 0:
                board.append({**entry, "status": "skipped: budget spent"})
                continue
            if estimate > left():
                board.append({**entry, "status": f"skipped: needs about {estimate:.0f} s, {left():.0f} s left"})
                continue
        say(f"{number}/{len(candidates)} {names['image_features']} | {names['text_features']} | {names['aligner']} "
            f"(time left {_minutes(left())})")
        began = _clock()
        try:
            i2t, t2i, seconds, used = _run(retriever, row, names, cache, feature_seconds, images, texts, labels, folds,
                                     metric, say)
        except ClassicxError as exc:  # e.g. more components than a small training set allows
            board.append({**entry, "seconds": round(_clock() - began, 1), "status": f"failed: {exc}"})
            say(f"    failed: {exc}")
            continue
        cv_seconds = max(cv_seconds, seconds)
        if "searcher" in missing:
            entry["searcher"] = "exact" if used == "cosine" else f"exact:metric={used}"
        entry.update(cv_map=round((i2t + t2i) / 2, 4), cv_image_to_text=round(i2t, 4),
                     cv_text_to_image=round(t2i, 4), seconds=round(_clock() - began, 1), status="done")
        board.append(entry)
        say(f"    CV MAP {entry['cv_map']:.4f} (image->text {i2t:.4f}, text->image {t2i:.4f})")
    if not any(e["status"] == "done" for e in board):
        raise ParameterError("preset 'auto': every candidate failed:\n" + leaderboard_table(board))
    for row in without:
        board.append({**{stage: _label(value) for stage, value in row.items()}, "cv_map": None,
                      "cv_image_to_text": None, "cv_text_to_image": None, "seconds": None,
                      "status": "skipped: needs labels"})
    done = sorted((e for e in board if e["status"] == "done"), key=lambda e: -e["cv_map"])
    board = done + [e for e in board if e["status"] != "done"]
    for rank, entry in enumerate(board, 1):
        entry["rank"] = rank if entry["status"] == "done" else None
    best = done[0]
    say(f"leaderboard ({_minutes(_clock() - start)} spent):\n" + leaderboard_table(board))
    specs = {stage: best[stage] for stage in ("image_features", "text_features", "aligner") if stage in missing}
    if "searcher" in missing:
        specs["searcher"] = best["searcher"]
    prefitted = {stage: cache[(stage, best[stage])] for stage in ("image_features", "text_features")}
    return specs, board, prefitted


def leaderboard_table(board: list[dict]) -> str:
    """The leaderboard as aligned text, one candidate per line."""
    lines = [f"{'rank':>4}  {'CV MAP':>6}  {'i->t':>6}  {'t->i':>6}  {'s':>6}  pipeline"]
    for e in board:
        scores = (f"{e['cv_map']:6.4f}  {e['cv_image_to_text']:6.4f}  {e['cv_text_to_image']:6.4f}  {e['seconds']:6.1f}"
                  if e["status"] == "done" else f"{'-':>6}  {'-':>6}  {'-':>6}  {'-':>6}")
        rank = str(e["rank"]) if e["rank"] else "-"
        note = "" if e["status"] == "done" else f"  ({e['status']})"
        lines.append(f"{rank:>4}  {scores}  {e['image_features']} | {e['text_features']} | {e['aligner']}{note}")
    return "\n".join(lines)
