"""The classicx command: demo, fit, search, evaluate, and its errors."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import pytest

from classicx.cli import main
from classicx.datasets import load_synthetic


@pytest.fixture(scope="module")
def csv_dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("collection")
    data = load_synthetic(n_train=120, n_test=40, random_state=1)
    rows = ["image,text,label,split"]
    for split_name, split in (("train", data.train), ("test", data.test)):
        for i, (image, text, label) in enumerate(zip(split.images, split.texts, split.labels)):
            name = f"{split_name} {i}.png"  # a space in the file name on purpose
            cv2.imwrite(str(root / name), image)
            rows.append(f'"{name}","{text}",{data.categories[label]},{split_name}')
    (root / "pairs.csv").write_text("\n".join(rows), encoding="utf-8")
    return root


def test_fit_search_evaluate_round_trip(csv_dataset, tmp_path, capsys):
    model_dir = tmp_path / "model"
    assert main(["fit", str(csv_dataset / "pairs.csv"), "-o", str(model_dir), "--image", "bovw(sift,32)",
                 "--aligner", "cca(4)", "-q"]) == 0
    assert (model_dir / "classicx.json").is_file()
    capsys.readouterr()
    assert main(["search", str(model_dir), "--text", "a red circle", "-k", "3", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert [h["rank"] for h in hits] == [1, 2, 3]
    assert main(["search", str(model_dir), "--image", str(csv_dataset / "test 0.png"), "-k", "2"]) == 0
    assert capsys.readouterr().out.count("\n") == 2
    assert main(["evaluate", str(model_dir), str(csv_dataset / "pairs.csv"), "--json", "-q"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert 0 < report["map_image_to_text"] <= 1 and report["n_queries"] == 40


def test_bad_input_gives_one_line_and_nonzero_exit(tmp_path, capsys):
    assert main(["search", str(tmp_path), "--text", "x"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a classicx model" in err
    assert main(["fit", str(tmp_path / "nowhere"), "-o", str(tmp_path / "m")]) == 1
    assert "nowhere" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--words", "zero"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--words" in err and "'zero'" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["search", "model", "--text", "x", "--image", "y"])
    assert exit_info.value.code == 2 and capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize("command", [[], ["demo"], ["fit"], ["search"], ["evaluate"]])
def test_help_on_each_command(command):
    done = subprocess.run([sys.executable, "-m", "classicx", *command, "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "usage: classicx" in done.stdout


def test_without_model_options_the_model_is_the_retrievers_default():
    from sklearn.base import clone

    from classicx.cli import _make_retriever, build_parser
    from classicx.retriever import CrossModalRetriever

    plain = _make_retriever(build_parser().parse_args(["demo"]))
    expected = CrossModalRetriever(n_jobs=-1, verbose=True, random_state=0)
    assert repr(plain.get_params(deep=True)) == repr(clone(expected).get_params(deep=True))
    assert plain.preset == CrossModalRetriever().preset == "balanced"


def test_spec_and_preset_options_reach_the_retriever():
    from classicx.cli import _make_retriever, build_parser

    parse = build_parser().parse_args
    model = _make_retriever(parse(["fit", "d.csv", "-o", "m", "--preset", "fast", "--image", "vlad(rootsift,16)",
                                   "--text", "tfidf(1-2)", "--aligner", "kcca-scm(chi2)", "--searcher", "exact",
                                   "-q", "-j", "2", "--seed", "5"]))
    params = model.get_params(deep=False)
    assert (params["preset"], params["image_features"], params["text_features"], params["aligner"],
            params["searcher"]) == ("fast", "vlad(rootsift,16)", "tfidf(1-2)", "kcca-scm(chi2)", "exact")
    assert (params["n_jobs"], params["verbose"], params["random_state"]) == (2, False, 5)
    auto = _make_retriever(parse(["fit", "d.csv", "-o", "m", "--preset", "auto", "--budget", "1m30s"]))
    assert auto.preset == "auto" and auto.time_budget == 90.0


def test_shorthands_set_the_parameters_of_the_stage_they_name():
    from classicx.cli import _make_retriever, build_parser
    from classicx.exceptions import InputError
    from classicx.presets import preset_specs
    from classicx.spec import build, to_spec

    parse = build_parser().parse_args
    model = _make_retriever(parse(["demo", "--words", "16", "--descriptor", "sift", "--text-dim", "50"]))
    image = model.image_features.get_params(deep=True)
    expected = build(preset_specs("balanced")["image_features"], "image").set_params(
        fisher__vocabulary=16, fisher__descriptor="sift")
    assert to_spec(model.image_features) == to_spec(expected) and image["fisher__vocabulary"] == 16
    assert [v for k, v in model.text_features.get_params(deep=True).items() if k.endswith("n_components")] == [50]
    assert model.aligner is None  # left to the preset
    cca = _make_retriever(parse(["demo", "--aligner", "cca(8)", "--reg", "0.5", "--weight-power", "2"]))
    assert (cca.aligner.n_components, cca.aligner.reg, cca.aligner.weight_power) == (8, 0.5, 2.0)
    unsupervised = _make_retriever(parse(["demo", "--components", "6"]), labels=False)
    assert unsupervised.aligner.n_components == 6  # the preset's aligner without labels is a CCA
    with pytest.raises(InputError, match="--reg does not apply to the aligner stage 'sm.*give --aligner SPEC"):
        _make_retriever(parse(["demo", "--reg", "0.5"]))  # with labels the preset's aligner is semantic matching
    with pytest.raises(InputError, match="--words needs a fixed image stage: give --image SPEC"):
        _make_retriever(parse(["demo", "--preset", "auto", "--words", "64"]))
    with pytest.raises(InputError, match="--budget is for --preset auto"):
        _make_retriever(parse(["demo", "--budget", "10m"]))


def test_bad_specs_and_durations_are_one_line_errors(capsys):
    assert main(["demo", "--image", "nonsense(3)", "-q"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "nonsense" in err and "bovw" in err  # the valid names
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "d.csv", "-o", "m", "--preset", "auto", "--budget", "ten minutes"])
    assert exit_info.value.code == 2 and "--budget" in capsys.readouterr().err


def test_help_shows_the_presets_specs(capsys):
    from classicx.presets import preset_specs

    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for spec in preset_specs("balanced").values():
        assert spec in text
    assert preset_specs("balanced", labels=False)["aligner"] in text
    assert "--skip-missing" in text and "--drop-missing" not in text and "--preset {fast,balanced,best,auto}" in text


def test_fit_refuses_an_unwritable_output_before_any_work(csv_dataset, tmp_path, capsys, monkeypatch):
    """Issue #12: the output location is checked before the (long) fit, not after it."""
    import classicx.retriever

    def never(*args, **kwargs):
        raise AssertionError("fit ran although the output cannot be written")

    monkeypatch.setattr(classicx.retriever.CrossModalRetriever, "fit", never)
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    for output in (a_file, a_file / "model"):
        assert main(["fit", str(csv_dataset / "pairs.csv"), "-o", str(output), "-q"]) == 1
        err = capsys.readouterr().err
        assert "a_file" in err and len(err.strip().splitlines()) == 1


# ------------------------------------------------------------------ issue #11: reaching everything
import base64  # noqa: E402
import html.parser  # noqa: E402

import numpy as np  # noqa: E402

from classicx.datasets import load_csv  # noqa: E402

SMALL = ["--image", "bovw(sift,32)", "--aligner", "cca(4)", "-q", "-j", "1"]


@pytest.fixture(scope="module")
def fitted_model(csv_dataset, tmp_path_factory):
    model_dir = tmp_path_factory.mktemp("fitted") / "model"
    assert main(["fit", str(csv_dataset / "pairs.csv"), "-o", str(model_dir), *SMALL]) == 0
    return model_dir


def test_search_hits_show_label_id_paired_text_and_file(fitted_model, csv_dataset, capsys):
    from classicx.retriever import CrossModalRetriever

    capsys.readouterr()
    assert main(["search", str(fitted_model), "--text", "a red circle", "-k", "3", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    pairs = load_csv(csv_dataset / "pairs.csv").train
    by_id = {i: (text, pairs.labels[n], image) for n, (i, text, image) in
             enumerate(zip(pairs.ids, pairs.texts, pairs.images))}
    categories = load_csv(csv_dataset / "pairs.csv").categories
    for hit in hits:
        text, label, image = by_id[hit["id"]]
        assert hit["text"] == text and hit["label"] == categories[label] and hit["file"] == image
    assert main(["search", str(fitted_model), "--text", "a red circle", "-k", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for line, hit in zip(lines, hits):
        assert f"[{hit['id']}]" in line and hit["label"] in line and hit["text"][:10] in line
    # the model knows its categories after a save and load
    assert CrossModalRetriever.load(fitted_model).categories_ == categories


@pytest.mark.parametrize("query", ["", "   ", "zzzz qqqq", "xylophone"])
def test_empty_or_unknown_text_query_exits_1(fitted_model, capsys, query):
    assert main(["search", str(fitted_model), "--text", query]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert "empty" in captured.err or "no word the model knows" in captured.err


def test_image_query_without_features_exits_1(fitted_model, tmp_path, capsys):
    """A flat image has no keypoints: a bag of words of it is all zero (SMALL has no colour histogram)."""
    flat = tmp_path / "flat.png"
    cv2.imwrite(str(flat), np.full((64, 64, 3), 128, np.uint8))
    assert main(["search", str(fitted_model), "--image", str(flat)]) == 1
    assert "no image features" in capsys.readouterr().err


def _write_csv(path, header, rows):
    import csv

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture(scope="module")
def unsplit(csv_dataset, tmp_path_factory):
    """The same images and texts in a CSV with other column names, no split column, one missing file."""
    root = tmp_path_factory.mktemp("unsplit")
    data = load_csv(csv_dataset / "pairs.csv", test_size=0)
    rows = [[f"key-{i}", image, text, data.categories[label]] for i, (image, text, label) in
            enumerate(zip(data.train.images + data.test.images, data.train.texts + data.test.texts,
                          list(data.train.labels) + list(data.test.labels)))]
    rows.append(["key-missing", str(root / "nowhere.png"), "a lost circle", "circle"])
    _write_csv(root / "pairs.csv", ["key", "img", "caption", "cat"], rows)
    return root / "pairs.csv"


COLUMNS = ["--image-column", "img", "--text-column", "caption", "--label-column", "cat", "--id-column", "key"]


def test_missing_files_hint_names_the_flag(unsplit, tmp_path, capsys):
    assert main(["fit", str(unsplit), "-o", str(tmp_path / "m"), *COLUMNS, *SMALL]) == 1
    err = capsys.readouterr().err
    assert "nowhere.png" in err and "--skip-missing" in err and "on_error" not in err


def test_unknown_column_error_names_the_flag(unsplit, tmp_path, capsys):
    assert main(["fit", str(unsplit), "-o", str(tmp_path / "m"), "--image-column", "picture", *SMALL]) == 1
    err = capsys.readouterr().err
    assert "'picture' (--image-column)" in err and "image_column" not in err


def test_csv_flags_on_a_folder_are_refused(tmp_path, capsys):
    (tmp_path / "cats").mkdir()
    assert main(["fit", str(tmp_path), "-o", str(tmp_path / "m"), "--image-column", "img", *SMALL]) == 1
    assert "--image-column applies to csv datasets" in capsys.readouterr().err


@pytest.fixture(scope="module")
def unsplit_model(unsplit, tmp_path_factory):
    model_dir = tmp_path_factory.mktemp("unsplit-model") / "model"
    assert main(["fit", str(unsplit), "-o", str(model_dir), *COLUMNS, "--skip-missing", "--test-size", "40",
                 "--split-seed", "3", *SMALL]) == 0
    return model_dir


def test_fit_records_how_the_data_was_loaded(unsplit_model, unsplit):
    from classicx.retriever import CrossModalRetriever

    record = CrossModalRetriever.load(unsplit_model).dataset_record_
    assert record["path"] == str(unsplit.resolve()) and record["loader"] == "csv"
    assert record["options"] == {"on_error": "skip", "test_size": 40, "random_state": 3, "image_column": "img",
                                 "text_column": "caption", "label_column": "cat", "split_column": "split",
                                 "id_column": "key"}
    assert record["n_train"] == 160 - 40 and len(record["train_hashes"]) == 120


def test_evaluate_reuses_the_record_and_finds_no_overlap_on_the_same_split(unsplit_model, unsplit, capsys):
    capsys.readouterr()
    # No loading flags: the missing file, the columns, the test size and the split seed come from the model.
    assert main(["evaluate", str(unsplit_model), str(unsplit), "--json", "-q", "--strict"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["n_queries"] == 40 and report["warnings"] == []
    assert "--skip-missing" in captured.err and "--test-size 40" in captured.err and "WARNING" not in captured.err
    # Told otherwise, it fails on the missing file again, with the flag in the hint.
    assert main(["evaluate", str(unsplit_model), str(unsplit), "--no-skip-missing", "-q"]) == 1
    assert "Use --skip-missing" in capsys.readouterr().err


def test_evaluate_warns_loudly_about_training_pairs_and_strict_refuses(unsplit_model, unsplit, capsys):
    # The oracle, by id (ids are the key column of one file): test rows of a 50% split that were
    # training rows of the model's split (40 pairs, seed 3).
    trained = set(load_csv(unsplit, on_error="skip", image_column="img", text_column="caption", label_column="cat",
                           id_column="key", test_size=40, random_state=3).train.ids)
    tested = load_csv(unsplit, on_error="skip", image_column="img", text_column="caption", label_column="cat",
                      id_column="key", test_size=0.5, random_state=3).test.ids
    expected = len(trained & set(tested))
    assert 0 < expected < len(tested)
    capsys.readouterr()
    assert main(["evaluate", str(unsplit_model), str(unsplit), "--test-size", "0.5", "--json", "-q"]) == 0
    captured = capsys.readouterr()
    assert f"WARNING: {expected} of {len(tested)} evaluation pairs" in captured.err
    assert json.loads(captured.out)["warnings"][0].startswith(f"{expected} of {len(tested)}")
    assert main(["evaluate", str(unsplit_model), str(unsplit), "--test-size", "0.5", "--strict", "-q"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "--strict" in captured.err and f"{expected} of {len(tested)}" in captured.err


def test_overlap_is_found_by_content_under_other_ids(unsplit_model, unsplit, tmp_path, capsys):
    """Training pairs copied into another file under other ids are found; the same images with other texts are not."""
    train = load_csv(unsplit, on_error="skip", image_column="img", text_column="caption", label_column="cat",
                     id_column="key", test_size=40, random_state=3).train
    rows = [[image, text, "x", "test"] for image, text in zip(train.images[:7], train.texts[:7])]
    rows += [[image, text + " again", "x", "test"] for image, text in zip(train.images[7:12], train.texts[7:12])]
    _write_csv(tmp_path / "copy.csv", ["image", "text", "label", "split"], rows + [rows[0][:3] + ["train"]])
    capsys.readouterr()
    # The recorded columns do not apply to this file's header: the flags given win.
    assert main(["evaluate", str(unsplit_model), str(tmp_path / "copy.csv"), "--image-column", "image",
                 "--text-column", "text", "--label-column", "label", "--id-column", "", "-q"]) == 0
    out = capsys.readouterr().out
    assert "WARNING: 7 of 12 evaluation pairs (58%) are training pairs" in out


def test_evaluate_without_a_record_says_so_and_strict_refuses(csv_dataset, tmp_path, capsys):
    from classicx.retriever import CrossModalRetriever

    data = load_csv(csv_dataset / "pairs.csv")
    from classicx.image import BagOfVisualWords
    from classicx.subspace import RegularizedCCA

    model = CrossModalRetriever(image_features=BagOfVisualWords(vocabulary=16),
                                aligner=RegularizedCCA(n_components=3), verbose=False, random_state=0)
    model.fit(data.train.images, data.train.texts, labels=data.train.labels)
    model.save(tmp_path / "api-model")
    assert main(["evaluate", str(tmp_path / "api-model"), str(csv_dataset / "pairs.csv"), "-q", "-j", "1"]) == 0
    assert "cannot be checked" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "api-model"), str(csv_dataset / "pairs.csv"), "--strict", "-q"]) == 1


class _Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.tags, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_data(self, data):
        self.text.append(data)


def _parse(path):
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _decoded(uri):
    assert uri.startswith("data:image/jpeg;base64,")
    pixels = cv2.imdecode(np.frombuffer(base64.b64decode(uri.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)
    assert pixels is not None and pixels.ndim == 3 and max(pixels.shape[:2]) <= 160
    return pixels


def test_search_html_is_self_contained_with_its_thumbnails(fitted_model, csv_dataset, tmp_path, capsys):
    page_path = tmp_path / "results.html"
    query = csv_dataset / "test 0.png"
    assert main(["search", str(fitted_model), "--image", str(query), "-k", "3", "--html", str(page_path)]) == 0
    assert "results page written" in capsys.readouterr().err
    page = _parse(page_path)
    assert len(page.images) == 1 + 3  # the query and the image paired with each text hit
    thumbs = [_decoded(uri) for uri in page.images]

    def coarse(pixels):  # 16x16: JPEG's loss on the pixel noise of the synthetic images averages out
        return cv2.resize(pixels, (16, 16), interpolation=cv2.INTER_AREA).astype(int)

    # the query's thumbnail is the query image (JPEG-compressed), not another one
    error = np.abs(coarse(cv2.imread(str(query))) - coarse(thumbs[0])).mean()
    assert error < 6 and error < np.abs(coarse(cv2.imread(str(csv_dataset / "test 1.png"))) - coarse(thumbs[0])).mean()
    assert not {"script", "link", "iframe"} & set(page.tags)  # nothing external, nothing run
    assert "src=\"http" not in page_path.read_text(encoding="utf-8")


def test_evaluate_html_escapes_and_embeds_thumbnails_and_plot(fitted_model, csv_dataset, tmp_path, capsys):
    # A caption with markup: shown as text, never as markup.
    data = load_csv(csv_dataset / "pairs.csv")
    rows = [[image, text, data.categories[label], "test"] for image, text, label in
            zip(data.test.images, data.test.texts, data.test.labels)]
    for row in rows:  # every caption, so that whichever texts the page shows carry the markup
        row[1] = row[1] + " <script>alert(1)</script> & <b>bold</b>"
    train_row = [data.train.images[0], data.train.texts[0], "circle", "train"]  # the loader needs one
    _write_csv(tmp_path / "markup.csv", ["image", "text", "label", "split"], rows + [train_row])
    report = tmp_path / "report.html"
    args = ["evaluate", str(fitted_model), str(tmp_path / "markup.csv"), "--html", str(report), "-q", "-j", "1"]
    assert main(args) == 0  # the HTML page does not need matplotlib: its curves are inline SVG
    capsys.readouterr()
    page = _parse(report)
    raw = report.read_text(encoding="utf-8")
    assert "script" not in page.tags and "<b>bold</b>" not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in raw
    assert any("<script>alert(1)</script> & <b>bold</b>" in t for t in page.text)  # shown as text
    # 4 example queries each way: image queries shown, and the image of every hit of both directions
    assert len(page.images) == 4 + 4 * 5 + 4 * 5
    for uri in page.images:
        _decoded(uri)
    assert "<svg" in report.read_text(encoding="utf-8")  # the curves, inline


def test_evaluate_html_scores_equal_evaluate(fitted_model, csv_dataset, tmp_path, capsys):
    from classicx.report import evaluation_details
    from classicx.retriever import CrossModalRetriever

    model = CrossModalRetriever.load(fitted_model).set_params(verbose=False)
    test = load_csv(csv_dataset / "pairs.csv").test
    details = evaluation_details(model, test.images, test.texts, test.labels, k=10)
    assert details.report == model.evaluate(test.images, test.texts, labels=test.labels, k=10)
    # the curve's last point: recall 1 at the full ranking, precision = share of relevant items
    for precision, recall in details.curves.values():
        assert recall[-1] == pytest.approx(1.0)
        counts = np.bincount(test.labels)
        assert precision[-1] == pytest.approx(np.mean(counts[test.labels] / len(test)))


def test_evaluate_plot_writes_the_curves(fitted_model, csv_dataset, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "pr.png"
    assert main(["evaluate", str(fitted_model), str(csv_dataset / "pairs.csv"), "--plot", str(plot), "-q"]) == 0
    image = cv2.imread(str(plot))
    assert image is not None and image.shape[0] > 200


def test_evaluate_plot_without_matplotlib_names_the_extra(fitted_model, csv_dataset, tmp_path, capsys,
                                                          monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    assert main(["evaluate", str(fitted_model), str(csv_dataset / "pairs.csv"), "--plot", str(tmp_path / "p.png"),
                 "-q"]) == 1
    err = capsys.readouterr().err
    assert "classicx[plot]" in err and not (tmp_path / "p.png").exists()


def test_output_files_are_checked_before_the_work(fitted_model, csv_dataset, tmp_path, capsys):
    assert main(["evaluate", str(fitted_model), str(csv_dataset / "pairs.csv"), "--html",
                 str(tmp_path / "no" / "r.html"), "-q"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_test_size_flag_is_checked_by_the_parser(capsys):
    for bad in ("1.5", "-1", "half"):
        with pytest.raises(SystemExit) as exit_info:
            main(["fit", "data.csv", "-o", "m", "--test-size", bad])
        assert exit_info.value.code == 2 and "--test-size" in capsys.readouterr().err


def test_demo_queries_are_fixed_by_the_seed_and_use_the_datas_words():
    from classicx.cli import _demo_queries
    from classicx.datasets import SHAPES

    data = load_synthetic(n_train=400, n_test=0, random_state=0, image_size=32)
    words = {w for text in data.train.texts for w in text.split()}
    queries = _demo_queries(list(SHAPES), seed=0)
    assert queries == _demo_queries(list(SHAPES), seed=0) and queries != _demo_queries(list(SHAPES), seed=1)
    assert len({shape for _, shape in queries}) == 3
    for query, shape in queries:
        assert shape in query.split() and set(query.split()) <= words | {"a"}


def test_demo_prints_scores_and_labelled_hits(capsys):
    """The demo runs the default preset (with a smaller vocabulary to stay quick) and labels every hit."""
    assert main(["demo", "--n-train", "150", "--n-test", "60", "--words", "16", "--quiet", "-j", "1"]) == 0
    out = capsys.readouterr().out
    for needle in ("MAP", "P@10", "chance", "image→text", "text → images", "image → texts", "preset balanced"):
        assert needle in out
    assert "(looking for:" in out and "example hits have the query's category" in out
    hit_lines = [line for line in out.splitlines() if line[:5].strip().rstrip(".").isdigit()]
    assert len(hit_lines) == 5 * 3  # 3 text and 2 image queries, 3 hits each
    assert all(("✓" in line) != ("✗" in line) for line in hit_lines)
    right = sum("✓" in line for line in hit_lines)
    assert f"{right} of 15 example hits have the query's category" in out


def test_fit_without_labels_says_how_to_give_them_in_flags(csv_dataset, tmp_path, capsys):
    assert main(["fit", str(csv_dataset / "pairs.csv"), "-o", str(tmp_path / "m"), "--label-column", "",
                 "--image", "bovw(sift,16)", "-q", "-j", "1"]) == 0
    captured = capsys.readouterr()
    assert "(no labels)" in captured.out and "cca(" in captured.out  # the preset's unsupervised aligner
    assert "--label-column" in captured.err and "labels=" not in captured.err


def test_fit_with_preset_auto_prints_its_leaderboard(csv_dataset, tmp_path, capsys):
    from classicx.retriever import CrossModalRetriever

    model_dir = tmp_path / "auto"
    # A budget this small runs the first candidate only (the rest are skipped): still a leaderboard.
    assert main(["fit", str(csv_dataset / "pairs.csv"), "-o", str(model_dir), "--preset", "auto", "--budget", "1s",
                 "--words", "16", "--image", "bovw(sift,16)", "-q", "-j", "1"]) == 0
    out = capsys.readouterr().out
    model = CrossModalRetriever.load(model_dir)
    assert model.preset == "auto" and model.leaderboard_ and "CV MAP" in out and "auto kept: preset auto" in out
    assert model.preset_stages_["aligner"] in out.split("auto kept:")[1]


def test_a_model_of_spec_built_stages_is_searched_from_a_fresh_process(tmp_path):
    """``classicx fit`` then ``classicx search``: the second process has imported none of the stages' classes.

    (Subpackages load lazily; the loader imports classicx's own subpackage of a class it meets.)
    """
    from classicx.retriever import CrossModalRetriever

    data = load_synthetic(n_train=48, n_test=0, image_size=64, random_state=0)
    model = CrossModalRetriever(image_features="bovw(sift,8)+0.5*hsv", text_features="lsa(8)|l2",
                                aligner="sm(balanced)", verbose=False, random_state=0)
    model.fit(data.train.images, data.train.texts, labels=data.train.labels, categories=data.categories)
    model.save(tmp_path / "m")
    done = subprocess.run([sys.executable, "-m", "classicx", "search", str(tmp_path / "m"), "--text", "a red circle",
                           "-k", "2", "--json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert [hit["rank"] for hit in json.loads(done.stdout)] == [1, 2]


def test_fit_evaluate_records_the_test_scores_that_serve_shows(csv_dataset, tmp_path, capsys):
    from classicx.retriever import CrossModalRetriever
    from classicx.serve._model import ServedModel

    model_dir = tmp_path / "model"
    assert main(["fit", str(csv_dataset / "pairs.csv"), "-o", str(model_dir), "--evaluate", *SMALL]) == 0
    printed = capsys.readouterr().out
    assert "test split of" in printed and "MAP" in printed
    model = CrossModalRetriever.load(model_dir)
    # The oracle: 'classicx evaluate' on the same split scores what fit recorded.
    assert main(["evaluate", str(model_dir), str(csv_dataset / "pairs.csv"), "--json", "-q"]) == 0
    report = json.loads(capsys.readouterr().out)
    for key in ("map_image_to_text", "map_text_to_image", "chance_text_to_image", "n_queries"):
        assert model.evaluation_[key] == pytest.approx(report[key], rel=1e-12), key
    assert model.evaluation_["split"] == "test" and model.evaluation_["dataset"].endswith("pairs.csv")
    info = ServedModel(model).info()
    assert info["report"]["map_text_to_image"] == pytest.approx(report["map_text_to_image"])


def test_evaluate_record_writes_held_out_scores_only(fitted_model, csv_dataset, tmp_path, capsys):
    import shutil

    from classicx.retriever import CrossModalRetriever

    model_dir = tmp_path / "copy"
    shutil.copytree(fitted_model, model_dir)
    assert not hasattr(CrossModalRetriever.load(model_dir), "evaluation_")
    assert main(["evaluate", str(model_dir), str(csv_dataset / "pairs.csv"), "--split", "train", "--record",
                 "-q"]) == 1
    assert "test-split scores only" in capsys.readouterr().err
    assert main(["evaluate", str(model_dir), str(csv_dataset / "pairs.csv"), "--record", "--json", "-q"]) == 0
    report = json.loads(capsys.readouterr().out)
    model = CrossModalRetriever.load(model_dir)
    assert model.evaluation_["map_image_to_text"] == pytest.approx(report["map_image_to_text"])
    # The stages' run-time settings of the evaluation (-q, -j) were not saved with the record.
    assert model.get_params()["n_jobs"] == CrossModalRetriever.load(fitted_model).get_params()["n_jobs"]


def test_fit_evaluate_without_a_test_split_is_refused(unsplit, tmp_path, capsys):
    assert main(["fit", str(unsplit), "-o", str(tmp_path / "m"), "--evaluate", "--test-size", "0",
                 "--image-column", "img", "--text-column", "caption", "--label-column", "cat", "--id-column",
                 "key", "--skip-missing", *SMALL]) == 1
    assert "--evaluate" in capsys.readouterr().err
