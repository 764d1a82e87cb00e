"""The same defects through the command line: one line on stderr, exit status 1, never a traceback."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from classicx.cli import main
from classicx.datasets import load_synthetic
from classicx.image import read_options
from classicx.utils.validation import MAX_TEXT_CHARS

from ._forge import encode, png


def _one_line_error(capsys, argv, *needles):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    data = load_synthetic(n_train=24, n_test=0, random_state=0)
    names = []
    for i, image in enumerate(data.train.images):
        cv2.imwrite(str(root / f"{i}.png"), image)
        names.append(f"{i}.png")
    return root, names


def _write_csv(root, names, texts, name="pairs.csv"):
    rows = ["image,text"] + [f"{image},{text}" for image, text in zip(names, texts)]
    (root / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root / name


def test_a_one_word_vocabulary(tmp_path, images, capsys):
    root, names = images
    csv_path = _write_csv(root, names, ["red"] * len(names), "one-word.csv")
    _one_line_error(capsys, ["fit", str(csv_path), "-o", str(tmp_path / "m"), "--image", "bovw(sift,8)",
                              "--aligner", "cca(2)", "-q"],
                    "classicx fit: error:", "1 distinct term(s) ('red')")


def test_an_unclosed_quote_and_an_oversized_cell(tmp_path, images, capsys):
    root, names = images
    (root / "quote.csv").write_text(f'image,text\n{names[0]},fine\n{names[1]},"never closed\n', encoding="utf-8")
    _one_line_error(capsys, ["fit", str(root / "quote.csv"), "-o", str(tmp_path / "m")], "line 3", "never closed")
    (root / "long.csv").write_text(f"image,text\n{names[0]},{'x' * (MAX_TEXT_CHARS + 1)}\n", encoding="utf-8")
    _one_line_error(capsys, ["fit", str(root / "long.csv"), "-o", str(tmp_path / "m")], "line 2", "10,000,000")
    (root / "dup.csv").write_text("image,text,id\n" + f"{names[0]},a,1\n{names[1]},b,1\n", encoding="utf-8")
    _one_line_error(capsys, ["fit", str(root / "dup.csv"), "-o", str(tmp_path / "m")], "'1' on lines 2, 3")


def _layout(root, categories: bytes, rows: bytes):
    (root / "texts").mkdir(parents=True)
    (root / "images" / "a").mkdir(parents=True)
    (root / "categories.list").write_bytes(categories)
    (root / "trainset_txt_img_cat.list").write_bytes(rows)
    (root / "testset_txt_img_cat.list").write_bytes(b"")
    (root / "texts" / "t1.txt").write_text("a text")
    cv2.imwrite(str(root / "images" / "a" / "i1.png"), np.zeros((8, 8), np.uint8))
    return root


def test_wikipedia_layouts_from_someone_else(tmp_path, capsys):
    gbk = _layout(tmp_path / "gbk", "艺术\n".encode("gbk"), b"t1\ti1\t1\n")
    _one_line_error(capsys, ["fit", str(gbk), "-o", str(tmp_path / "m")], "categories.list, line 1", "UTF-8")
    escape = _layout(tmp_path / "escape", b"art\n", b"../../secret\ti1\t1\n")
    _one_line_error(capsys, ["fit", str(escape), "-o", str(tmp_path / "m")], "'../../secret' is not a name inside")


def test_queries_with_bad_images_and_models(tmp_path, capsys):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "classicx.json").write_text('{"format": "classicx-model", "format_version": 2, "root": [')
    _one_line_error(capsys, ["search", str(tmp_path / "model"), "--text", "x"], "damaged metadata")
    (tmp_path / "model" / "classicx.json").write_text("[" * 5000 + "]" * 5000)
    _one_line_error(capsys, ["search", str(tmp_path / "model"), "--text", "x"], "classicx.json")


def test_the_output_location_is_checked_before_fitting(tmp_path, images, capsys):
    root, names = images
    csv_path = _write_csv(root, names, ["a red circle"] * len(names), "ok.csv")
    (tmp_path / "a-file").write_text("not a directory")
    _one_line_error(capsys, ["fit", str(csv_path), "-o", str(tmp_path / "a-file")], "a-file")
    _one_line_error(capsys, ["fit", str(csv_path), "-o", str(tmp_path / "a-file" / "below")], "a-file")


def test_transparent_icons_fit_and_search(tmp_path, capsys):
    # The icon case in small: strokes that exist only in alpha, three shapes, names as texts.
    rng = np.random.default_rng(0)
    rows = ["image,text,label"]
    shapes = {"circle": lambda b, c: cv2.circle(b, c, 14, (0, 0, 0, 255), 2),
              "square": lambda b, c: cv2.rectangle(b, (c[0] - 12, c[1] - 12), (c[0] + 12, c[1] + 12), (0, 0, 0, 255), 2),
              "cross": lambda b, c: (cv2.line(b, (c[0] - 14, c[1] - 14), (c[0] + 14, c[1] + 14), (0, 0, 0, 255), 2),
                                     cv2.line(b, (c[0] + 14, c[1] - 14), (c[0] - 14, c[1] + 14), (0, 0, 0, 255), 2))}
    for i in range(30):
        label = list(shapes)[i % 3]
        bgra = np.zeros((64, 64, 4), np.uint8)   # transparent *black* background
        shapes[label](bgra, (int(rng.integers(24, 40)), int(rng.integers(24, 40))))
        (tmp_path / f"icon{i}.png").write_bytes(encode(bgra))
        rows.append(f"icon{i}.png,{label} icon outline,{label}")
    (tmp_path / "icons.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    model = tmp_path / "model"
    fit = ["fit", str(tmp_path / "icons.csv"), "-o", str(model), "--image", "bovw(sift,16)", "--aligner", "cca(2)", "-q"]
    with read_options(background="drop"):   # alpha ignored, as before issue #12: uniformly black images
        _one_line_error(capsys, fit, "gave any descriptor")
    assert main(fit) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["search", str(model), "--image", str(tmp_path / "icon0.png"), "-k", "3"]) == 0
    # A bomb as a query image is refused in one line.
    (tmp_path / "bomb.png").write_bytes(png(np.zeros((2, 2), np.uint8), 0, size=(30_000, 30_000)))
    capsys.readouterr()
    _one_line_error(capsys, ["search", str(model), "--image", str(tmp_path / "bomb.png")], "bomb.png", "pixel budget")
