"""classicx.report: display-width shortening, thumbnails, example choice (issue #11)."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from classicx.report import display_width, pick_examples, shorten, thumbnail_uri


def _oracle_width(text: str) -> int:  # independent: wide = W/F, combining = 0, else 1
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@pytest.mark.parametrize("text", [
    "新华社北京十二月一日电国务院总理今天在人民大会堂会见了来访的外国代表团双方就合作进行了深入交流",
    "東京都は一日、新しい交通計画を発表した。市民の意見を広く聞くという。",
    "中文 English 混合 text with 空格 and more words to cut somewhere",
    "a red circle on a striped background next to a small blue star near the top left corner",
    "x" * 200,
    "e\u0301" * 100,
])
@pytest.mark.parametrize("width", [10, 25, 70])
def test_shorten_fits_the_width_and_keeps_text(text, width):
    short = shorten(text, width)
    assert _oracle_width(short) <= width and display_width(short) == _oracle_width(short)
    if _oracle_width(text) <= width:
        assert short == text
        return
    assert short.endswith("…") and len(short.rstrip("… ")) > 0
    kept = short.rstrip("…").rstrip()
    assert " ".join(text.split()).startswith(kept)
    # nothing more fits: at least half the width is used (a word boundary may end the cut)
    assert _oracle_width(short) >= width // 2


def test_shorten_of_cjk_keeps_as_many_characters_as_fit():
    text = "一只红色的圆形在条纹背景上面的图片" * 3
    assert shorten(text, 70) == text[:34] + "…"  # 34 wide characters = 68 columns, then the ellipsis


def test_short_text_is_only_made_one_line():
    assert shorten("  a\n red\tcircle ", 70) == "a red circle"
    with pytest.raises(ValueError):
        shorten("abc", 1)


def test_thumbnail_of_unreadable_input_is_none(tmp_path):
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    assert thumbnail_uri(str(tmp_path / "broken.jpg")) is None and thumbnail_uri(None) is None
    assert thumbnail_uri(np.zeros((20, 30), np.uint8)).startswith("data:image/jpeg;base64,")


def test_examples_depend_on_the_seed_only_and_spread_over_categories():
    labels = np.repeat(np.arange(5), 8)
    chosen = pick_examples(labels, 5, seed=4)
    assert chosen == pick_examples(labels.copy(), 5, seed=4) and len(set(chosen)) == 5
    assert sorted(labels[chosen]) == [0, 1, 2, 3, 4]
    assert pick_examples(labels, 12, seed=4)[:5] != pick_examples(labels, 12, seed=5)[:5]
    assert len(set(pick_examples(labels, 12, seed=4))) == 12
    assert len(pick_examples(None, 3, seed=0, n_items=10)) == 3
    assert len(pick_examples(labels, 100, seed=0)) == len(labels)


def test_plot_draws_without_touching_pyplot(tmp_path):
    import subprocess
    import sys

    pytest.importorskip("matplotlib")
    code = (
        "import sys, numpy as np; from classicx.report import plot_precision_recall; "
        "c = {'image_to_text': (np.array([1.0, 0.5]), np.array([0.5, 1.0]))}; "
        f"plot_precision_recall(c, {str(tmp_path / 'pr.png')!r}); print('matplotlib.pyplot' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False" and (tmp_path / "pr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
