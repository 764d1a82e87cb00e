"""The CSV and Wikipedia-layout loaders on malformed, hostile and borderline files (issue #12)."""

from __future__ import annotations

import os

import pytest

from classicx.datasets import load_csv, load_wikipedia_layout
from classicx.exceptions import DatasetError, ParameterError, TextReadError
from classicx.utils.validation import MAX_TEXT_CHARS


@pytest.fixture
def root(tmp_path):
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        (tmp_path / name).write_bytes(b"")
    return tmp_path


def _csv(root, content, **kwargs):
    path = root / "pairs.csv"
    if isinstance(content, str):
        path.write_bytes(content.encode("utf-8"))
    else:
        path.write_bytes(content)
    return load_csv(path, test_size=0, **kwargs)


# ---------------------------------------------------------------- CSV records
def test_an_unterminated_quote_is_an_error_naming_its_line(root):
    with pytest.raises(DatasetError, match=r"pairs\.csv, line 3: a quoted cell .* never closed"):
        _csv(root, 'image,text,id\na.jpg,fine,1\nb.jpg,"open quote,2\nc.jpg,last,3\n')


def test_text_after_a_closing_quote_is_an_error_naming_its_line(root):
    with pytest.raises(DatasetError, match=r"line 2: malformed CSV record"):
        _csv(root, 'image,text\na.jpg,"quoted"junk\n')


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x0c", "\x0b", "\x1c", "\x85"])
def test_characters_that_splitlines_breaks_at_stay_inside_their_cell(root, separator):
    data = _csv(root, f"image,text,id\na.jpg,one{separator}cell,1\nb.jpg,second,2\n")
    assert data.train.ids == ["1", "2"]
    assert data.train.texts == [f"one{separator}cell", "second"]
    assert data.skipped_ids == []


def test_quoted_line_breaks_and_crlf_records(root):
    data = _csv(root, 'image,text,id\r\na.jpg,"two\r\nlines, and a ""quote""",1\r\nb.jpg,plain,2\r\n')
    assert data.train.texts == ['two\r\nlines, and a "quote"', "plain"]
    assert data.train.ids == ["1", "2"]


def test_a_cell_above_the_old_csv_limit_loads(root):
    long_text = "word " * 40_000   # 200,000 characters: above csv's default 131,072
    data = _csv(root, f"image,text\na.jpg,{long_text}\n")
    assert data.train.texts == [long_text]


def test_a_cell_above_the_text_limit_is_an_error_naming_its_line(root):
    with pytest.raises(DatasetError, match=r"line 3: a cell is longer than 10,000,000 characters"):
        _csv(root, "image,text\na.jpg,short\nb.jpg," + "x" * (MAX_TEXT_CHARS + 1) + "\n")


def test_the_csv_field_limit_is_restored(root):
    import csv

    before = csv.field_size_limit()
    _csv(root, "image,text\na.jpg,x\n")
    with pytest.raises(DatasetError):
        _csv(root, 'image,text\na.jpg,"x\n')
    assert csv.field_size_limit() == before


@pytest.mark.parametrize("delimiter", ["::", "", '"', "\n", 3])
def test_a_bad_delimiter_is_a_parameter_error(root, delimiter):
    with pytest.raises(ParameterError, match="'delimiter' parameter must be one character"):
        _csv(root, "image,text\na.jpg,x\n", delimiter=delimiter)


def test_repeated_ids_are_an_error_naming_them_and_their_lines(root):
    with pytest.raises(DatasetError, match=r"1 id\(s\) repeat: '7' on lines 2, 4 .*id_column=None"):
        _csv(root, "image,text,id\na.jpg,x,7\nb.jpg,y,8\nc.jpg,z,7\n")
    # numbering the rows instead loads every pair; the same image twice is fine (several captions)
    data = _csv(root, "image,text,id\na.jpg,x,7\na.jpg,y,7\n", id_column=None)
    assert data.train.ids == ["0", "1"] and data.train.image_ids == ["a.jpg", "a.jpg"]


def test_a_repeated_header_column_is_an_error(root):
    with pytest.raises(DatasetError, match=r"names column\(s\) \['text'\] more than once"):
        _csv(root, "image,text,text\na.jpg,x,y\n")


def test_a_non_utf8_csv_names_the_line(root):
    with pytest.raises(TextReadError, match=r"as UTF-8 \(line 3, byte"):
        _csv(root, "image,text\na.jpg,x\nb.jpg,中文\n".encode("gbk"))


def test_paths_may_point_outside_the_csv_folder_as_documented(tmp_path):
    inner = tmp_path / "inner"
    inner.mkdir()
    (tmp_path / "outside.jpg").write_bytes(b"")
    (inner / "pairs.csv").write_text(f"image,text\n../outside.jpg,up\n{tmp_path / 'outside.jpg'},absolute\n")
    data = load_csv(inner / "pairs.csv", test_size=0)
    assert [os.path.realpath(p) for p in data.train.images] == [os.path.realpath(tmp_path / "outside.jpg")] * 2


# ---------------------------------------------------------- Wikipedia layout
def _layout(root, train_rows, categories=b"art\nsport\n"):
    (root / "categories.list").write_bytes(categories)
    (root / "trainset_txt_img_cat.list").write_bytes(train_rows)
    (root / "testset_txt_img_cat.list").write_bytes(b"")
    (root / "texts").mkdir(exist_ok=True)
    (root / "images" / "art").mkdir(parents=True, exist_ok=True)
    (root / "texts" / "t1.txt").write_text("a text")
    (root / "images" / "art" / "i1.jpg").write_bytes(b"")
    return root


@pytest.mark.parametrize("text_id", ["../../secret", "../secret", "/etc/passwd", "~/secret", "a/../../secret"])
def test_a_text_id_cannot_leave_texts(tmp_path, text_id):
    root = tmp_path / "collection"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("not yours")
    _layout(root, f"t1\ti1\t1\n{text_id}\ti1\t1\n".encode())
    with pytest.raises(DatasetError, match=r"trainset_txt_img_cat\.list, line 2: text id .* not a name inside"):
        load_wikipedia_layout(root)


def test_an_image_id_cannot_leave_images(tmp_path):
    root = _layout(tmp_path, b"t1\t../../x\t1\n")
    with pytest.raises(DatasetError, match="line 1: image id '../../x' is not a name inside"):
        load_wikipedia_layout(root)


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges on Windows")
def test_a_link_leading_out_of_texts_or_images_is_refused(tmp_path):
    root = tmp_path / "collection"
    root.mkdir()
    _layout(root, b"t1\ti1\t1\nt2\ti1\t1\n")
    (tmp_path / "secret.txt").write_text("not yours")
    (root / "texts" / "t2.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(DatasetError, match=r"'t2'.*leads outside .*texts"):
        load_wikipedia_layout(root)
    (root / "texts" / "t2.txt").unlink()
    (root / "texts" / "t2.txt").write_text("fine")
    (tmp_path / "elsewhere.jpg").write_bytes(b"")
    (root / "images" / "art" / "i2.jpg").symlink_to(tmp_path / "elsewhere.jpg")
    (root / "trainset_txt_img_cat.list").write_bytes(b"t1\ti1\t1\nt2\ti2\t1\n")
    with pytest.raises(DatasetError, match=r"'t2'.*leads outside .*images"):
        load_wikipedia_layout(root)


@pytest.mark.parametrize("which", ["categories.list", "trainset_txt_img_cat.list"])
def test_a_gbk_list_file_is_an_error_naming_it_or_decodes_with_the_given_encoding(tmp_path, which):
    root = _layout(tmp_path, b"t1\ti1\t1\n", categories="艺术\n体育\n".encode())
    target = root / which
    target.write_bytes(target.read_bytes().decode("utf-8").encode("gbk") if which == "categories.list"
                       else "t1\ti1\t1\n中文\ti1\t1\n".encode("gbk"))
    with pytest.raises(TextReadError, match=rf"{which}, line \d: cannot decode the list file as UTF-8"):
        load_wikipedia_layout(root)
    if which == "categories.list":
        data = load_wikipedia_layout(root, encoding="gbk")
        assert data.categories == ["艺术", "体育"]


def test_list_lines_do_not_break_at_u2028(tmp_path):
    root = _layout(tmp_path, b"t1\ti1\t1\n", categories="art\u2028deco\nsport\n".encode())
    assert load_wikipedia_layout(root).categories == ["art\u2028deco", "sport"]
