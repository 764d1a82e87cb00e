"""The classicx command: demo, fit, search, evaluate, and its errors."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import pytest

from classicx.cli import main
from classicx.datasets import load_synthetic


def test_demo_prints_results_table(capsys):
    assert main(["demo", "--n-train", "150", "--n-test", "60", "--words", "64", "--quiet"]) == 0
    out = capsys.readouterr().out
    for needle in ("MAP", "P@10", "chance", "image→text", "text → images", "image → texts"):
        assert needle in out


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
    assert main(["fit", str(csv_dataset / "pairs.csv"), "-o", str(model_dir), "--words", "32", "--components", "4", "-q"]) == 0
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


def test_model_options_set_the_default_stages_and_default_to_them():
    from sklearn.base import clone

    from classicx.cli import _make_retriever, build_parser
    from classicx.retriever import CrossModalRetriever, default_stages

    parser = build_parser()
    plain = _make_retriever(parser.parse_args(["demo"]))
    expected = CrossModalRetriever(**default_stages(), n_jobs=-1, verbose=True, random_state=0)
    assert repr(plain.get_params(deep=True)) == repr(clone(expected).get_params(deep=True))
    chosen = _make_retriever(parser.parse_args(["demo", "--words", "64", "--reg", "0.5", "--searcher", "exact", "-q"]))
    params = chosen.get_params(deep=True)
    assert params["aligner__reg"] == 0.5 and params["aligner__n_components"] == 32
    assert params["searcher"] == "exact" and params["verbose"] is False
    assert 64 in [v for k, v in params.items() if k.startswith("image_features__")]


def test_help_shows_the_defaults_of_the_stage_objects(capsys):
    from classicx.retriever import default_stages

    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    aligner = default_stages()["aligner"]
    assert f"(default: {aligner.n_components})" in text and f"(default: {aligner.reg})" in text
    assert "--skip-missing" in text and "--drop-missing" not in text


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
