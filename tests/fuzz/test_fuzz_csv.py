"""CSV collections: round trips of arbitrary cells, and malformed files."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import assume
from hypothesis import strategies as st

from classicx.datasets import load_csv
from classicx.exceptions import ClassicxError, DatasetError

from .conftest import MODES, explore, outcome

# Cells made of what trips up line-based parsing: quotes, delimiters, every kind of line break.
_TRICKY = st.sampled_from(['"', ",", ";", "\t", "\n", "\r", "\r\n", "\u2028", "\u2029", "\x0c", "\x0b",
                           "\x85", "\x1c", "\x00", "\ufeff", " ", "é", "中"])
_CELL = st.lists(_TRICKY | st.text(st.characters(codec=None, exclude_categories=["Cs"]), max_size=5),
                 max_size=8).map("".join)


def _is_plain_text(text: str) -> bool:
    # Cells the loader reads as the text itself: not empty, not a path to a .txt/.xml file.
    stripped = text.strip()
    return bool(stripped) and not (
        "\n" not in text and len(text) < 1024 and stripped.lower().endswith((".txt", ".xml"))
    )


@pytest.mark.parametrize("profile", MODES)
def test_cells_written_by_csv_writer_come_back_exactly(tmp_path, profile):
    (tmp_path / "a.jpg").write_bytes(b"")

    def check(texts, delimiter):
        assume(all(_is_plain_text(t) for t in texts))
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(["image", "text", "id"])
        for row, text in enumerate(texts):
            writer.writerow(["a.jpg", text, f"pair {row}"])
        path = tmp_path / "pairs.csv"
        path.write_bytes(buffer.getvalue().encode("utf-8"))
        data = load_csv(path, delimiter=delimiter, test_size=0)
        # The oracle is what was written: no row shifted, split, merged or dropped.
        assert data.train.texts == list(texts)
        assert data.train.ids == [f"pair {row}" for row in range(len(texts))]
        assert data.skipped_ids == []

    explore(profile, check, st.lists(_CELL, min_size=1, max_size=6), st.sampled_from([",", ";", "\t", "|"]))


@pytest.mark.filterwarnings("ignore::classicx.exceptions.SkippedItemsWarning")
@pytest.mark.parametrize("profile", MODES)
def test_malformed_csvs_load_or_fail_naming_a_line(tmp_path, profile):
    (tmp_path / "a.jpg").write_bytes(b"")
    good = 'image,text,id,label\r\na.jpg,"first, text",1,x\r\na.jpg,second text,2,y\r\na.jpg,"th""ird",3,x\r\n'

    def check(edits):
        content = good
        for position, piece in edits:
            position %= len(content) + 1
            content = content[:position] + piece + content[position:]
        path = tmp_path / "bad.csv"
        path.write_bytes(content.encode("utf-8"))
        result = outcome(lambda: load_csv(path, test_size=0, on_error="skip"), names="bad.csv")
        if isinstance(result, ClassicxError):
            if isinstance(result, DatasetError) and "line" not in str(result):
                # errors about the whole file name the file and what is wrong with it
                assert any(w in str(result) for w in ("column", "empty", "could be loaded", "no row", "id"))
            return
        rows = result.train
        assert len(rows.images) == len(rows.texts) == len(rows.ids)
        assert rows.labels is None or len(rows.labels) == len(rows.ids)   # None: the label column is gone
        assert len(set(rows.ids)) == len(rows.ids)

    explore(profile, check, st.lists(st.tuples(st.integers(0, 200), _TRICKY), min_size=1, max_size=5))


@pytest.mark.parametrize("content, message", [
    ('image,text\na.jpg,"never closed\n', r"line 2: a quoted cell .* never closed"),
    ('image,text\na.jpg,x\na.jpg,"y"z\n', r"line 3: malformed CSV record"),
    ("image,text\n" + "a.jpg,x\n" * 3 + 'a.jpg,"' + "y" * 200_000, r"line 5: a quoted cell .* never closed"),
])
def test_the_line_of_a_malformed_record_is_named(tmp_path, content, message):
    (tmp_path / "a.jpg").write_bytes(b"")
    (tmp_path / "pairs.csv").write_text(content, encoding="utf-8")
    with pytest.raises(DatasetError, match=message):
        load_csv(tmp_path / "pairs.csv")
