from pathlib import Path

import pytest

from classicx.exceptions import InputTypeError, TextReadError
from classicx.text import check_texts, read_text, read_texts


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


def test_missing_file_is_text_read_error(tmp_path):
    p = tmp_path / "nope.txt"
    with pytest.raises(TextReadError, match="nope.txt"):
        read_text(p)


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


def test_read_texts_names_row(tmp_path):
    good = tmp_path / "g.txt"
    good.write_text("ok", encoding="utf-8")
    with pytest.raises(TextReadError, match=r"row 1: .*missing.txt"):
        read_texts([good, tmp_path / "missing.txt"])
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


@pytest.mark.integration
def test_reads_real_webnews_texts(webnews_dir):
    files = sorted((webnews_dir / "texts").glob("*.txt"))[:20]
    texts = read_texts(files)
    assert len(texts) == 20 and all(isinstance(t, str) and t for t in texts)
