from pathlib import Path

import pytest

from classicx.exceptions import InputError, InputTypeError, MissingFileError, TextReadError
from classicx.text import read_text, read_texts
from classicx.utils.validation import check_texts


def test_reads_utf8_file(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("北京 news\nline two", encoding="utf-8")
    assert read_text(p) == "北京 news\nline two"
    assert read_text(str(p)) == "北京 news\nline two"


def test_strips_bom(tmp_path):
    p = tmp_path / "bom.txt"
    p.write_bytes("\ufeffhello".encode("utf-8"))
    assert read_text(p) == "hello"


def test_undecodable_file_names_file_and_offset(tmp_path):
    p = tmp_path / "latin.txt"
    p.write_bytes("caf\xe9 au lait".encode("latin-1"))
    with pytest.raises(TextReadError) as info:
        read_text(p)
    assert str(p) in str(info.value) and "byte 3" in str(info.value)
    assert isinstance(info.value, OSError)
    assert read_text(p, encoding="latin-1") == "café au lait"
    assert read_text(p, errors="replace") == "caf\ufffd au lait"


def test_missing_file_is_missing_file_error(tmp_path):
    p = tmp_path / "nope.txt"
    with pytest.raises(MissingFileError, match="nope.txt: text file not found") as info:
        read_text(p)
    assert isinstance(info.value, OSError)


def test_unreadable_path_is_text_read_error(tmp_path):
    with pytest.raises(TextReadError, match="cannot read text file"):
        read_text(tmp_path)  # a directory


def test_unknown_encoding_or_handler_is_a_parameter_error(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="unknown text encoding 'klingon'"):
        read_text(p, encoding="klingon")
    with pytest.raises(InputError, match="errors='shrug'"):
        read_text(p, errors="shrug")
    with pytest.raises(InputError, match="format must be one of"):
        read_text(p, format="html")


def test_wikipedia_xml_file(tmp_path):
    p = tmp_path / "doc.xml"
    p.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<document><docno>d1</docno>'
        "<title>Title</title><text>Body &amp; more\nsecond line</text></document>",
        encoding="utf-8",
    )
    assert read_text(p) == "Body & more\nsecond line"


def test_malformed_xml_with_bare_ampersand(tmp_path):
    p = tmp_path / "bad.xml"
    p.write_text(
        "<document><title>A & B</title><text>Tom & Jerry &lt;3 <b>bold</b></text></document>",
        encoding="utf-8",
    )
    assert read_text(p) == "Tom & Jerry <3  bold"


def test_xml_string_and_missing_text_element(tmp_path):
    assert read_text("<doc><text><![CDATA[x < y]]></text></doc>") == "x < y"
    p = tmp_path / "empty.xml"
    p.write_text("<doc><title>t</title></doc>", encoding="utf-8")
    with pytest.raises(TextReadError, match="no <text> element"):
        read_text(p)


@pytest.mark.parametrize("strict", [True, False], ids=["well-formed", "malformed"])
def test_all_text_elements_joined_and_cdata_literal(tmp_path, strict):
    # The same document, well-formed or broken by a bare "&" in the title, reads the same.
    title = "Tom &amp; Jerry" if strict else "Tom & Jerry"
    p = tmp_path / "doc.xml"
    p.write_text(
        f"<document><title>{title}</title><text> part one </text><other>not text</other>"
        "<text>a <![CDATA[x <y> & z]]> b</text><text><i>three</i></text></document>",
        encoding="utf-8",
    )
    assert read_text(p) == "part one\na x <y> & z b\nthree"


def test_nested_text_element_counted_once():
    assert read_text("<doc><text>outer <text>inner</text> end</text></doc>") == "outer inner end"


def test_format_forces_or_suppresses_xml(tmp_path):
    p = tmp_path / "doc.txt"
    p.write_text("<document><text>body</text></document>", encoding="utf-8")
    assert read_text(p) == "body"  # "auto" looks at the content too
    assert read_text(p, format="txt") == "<document><text>body</text></document>"
    q = tmp_path / "plain.dat"
    q.write_text("<text>x</text>", encoding="utf-8")
    assert read_text(q, format="xml") == "x"
    assert read_texts([p], format="txt") == ["<document><text>body</text></document>"]


def test_datasets_and_text_share_the_reader():
    import classicx.utils.documents as documents
    from classicx.datasets import _collection, _wikipedia

    assert read_text is documents.read_text and read_texts is documents.read_texts
    assert _collection.read_text is documents.read_text and _wikipedia.read_text is documents.read_text


def test_read_texts_names_row(tmp_path):
    good = tmp_path / "g.txt"
    good.write_text("ok", encoding="utf-8")
    with pytest.raises(MissingFileError, match=r"row 1: .*missing.txt"):
        read_texts([good, tmp_path / "missing.txt"])
    (tmp_path / "notext.xml").write_text("<doc/>", encoding="utf-8")
    with pytest.raises(TextReadError, match=r"row 2: .*notext.xml: XML document has no <text>"):
        read_texts([good, good, tmp_path / "notext.xml"])
    with pytest.raises(InputTypeError, match="read_text expects"):
        read_text(3)  # type: ignore[arg-type]


def test_check_texts():
    assert check_texts(["a", "", "  "]) == ["a", "", "  "]
    with pytest.raises(InputTypeError, match=r"texts\[2\] is NoneType"):
        check_texts(["a", "b", None])
    with pytest.raises(InputTypeError, match=r"texts\[0\] is PosixPath"):
        check_texts([Path("x.txt")])
    with pytest.raises(InputTypeError, match="single str"):
        check_texts("just one text")
    with pytest.raises(InputTypeError, match="sequence of strings"):
        check_texts(5)
    assert check_texts([], allow_empty=True) == []
    assert "check_texts" not in __import__("classicx.text").text.__all__


@pytest.mark.integration
def test_reads_real_webnews_texts(webnews_dir):
    files = sorted((webnews_dir / "texts").glob("*.txt"))[:20]
    texts = read_texts(files)
    assert len(texts) == 20 and all(isinstance(t, str) and t for t in texts)
