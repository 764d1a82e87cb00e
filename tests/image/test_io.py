from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from classicx.exceptions import ImageReadError, InputTypeError
from classicx.image import read_image
from classicx.image.io import describe_item

from .conftest import draw_scene


def _write(path: Path, image: np.ndarray, ext: str = ".png") -> Path:
    ok, buf = cv2.imencode(ext, image)
    assert ok
    buf.tofile(path)
    return path


def test_non_ascii_path_with_spaces_round_trips(tmp_path):
    img = draw_scene(0)
    path = _write(tmp_path / "中文 名字 l'image.png", img)
    np.testing.assert_array_equal(read_image(path, color=True), img)
    # the decoder's own gray conversion may round differently by one level
    gray = read_image(str(path)).astype(int)
    assert np.abs(gray - cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)).max() <= 1


def test_bytes_and_array_inputs_agree(tmp_path):
    img = draw_scene(1)
    ok, buf = cv2.imencode(".png", img)
    from_bytes = read_image(buf.tobytes(), color=True)
    np.testing.assert_array_equal(from_bytes, img)
    np.testing.assert_array_equal(read_image(bytearray(buf.tobytes()), color=True), img)
    np.testing.assert_array_equal(read_image(img, color=True), img)


def test_four_channel_and_gray_files_are_normal(tmp_path):
    bgra = np.zeros((20, 30, 4), np.uint8)
    bgra[..., 2] = 200
    bgra[..., 3] = 128
    gray = np.full((20, 30), 77, np.uint8)
    p4 = _write(tmp_path / "a.png", bgra)
    p1 = _write(tmp_path / "g.png", gray)
    assert read_image(p4, color=True).shape == (20, 30, 3)
    assert read_image(p4, color=True)[0, 0].tolist() == [0, 0, 200]
    assert read_image(p1, color=True)[0, 0].tolist() == [77, 77, 77]
    assert read_image(p1).shape == (20, 30)


def test_array_dtypes_are_scaled_as_documented():
    assert read_image(np.full((2, 2), 65535, np.uint16))[0, 0] == 255
    assert read_image(np.full((2, 2), 257 * 100, np.uint16))[0, 0] == 100
    assert read_image(np.full((2, 2), 0.5))[0, 0] == 128          # [0, 1] float
    assert read_image(np.full((2, 2), 100.0))[0, 0] == 100        # [0, 255] float
    assert read_image(np.full((2, 2), 300.0))[0, 0] == 255        # clipped
    assert read_image(np.full((2, 2), 7, np.int64))[0, 0] == 7
    assert read_image(np.ones((2, 2), bool))[0, 0] == 255
    bgra = np.zeros((3, 3, 4), np.uint8)
    bgra[..., 0] = 90
    assert read_image(bgra, color=True)[0, 0].tolist() == [90, 0, 0]
    # gray conversion follows OpenCV's BGR weights
    bgr = np.zeros((1, 1, 3), np.uint8)
    bgr[..., 2] = 255
    assert read_image(bgr)[0, 0] == cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)[0, 0]
    assert read_image(np.zeros((4, 4, 1), np.uint8)).shape == (4, 4)


def test_max_side_downscales_keeping_aspect_ratio():
    big = np.zeros((100, 4000), np.uint8)
    assert read_image(big, max_side=1000).shape == (25, 1000)
    small = np.zeros((10, 20), np.uint8)
    assert read_image(small, max_side=1000).shape == (10, 20)


@pytest.mark.parametrize(
    "content, message",
    [(None, "does not exist"), (b"", "empty"), (b"hello, I am text\n", "not an image")],
)
def test_bad_files_raise_naming_the_file(tmp_path, content, message):
    path = tmp_path / "bad file.jpg"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageReadError, match=message) as info:
        read_image(path)
    assert "bad file.jpg" in str(info.value)


def test_truncated_jpeg_and_png_raise(tmp_path):
    img = draw_scene(2)
    for ext in (".jpg", ".png"):
        ok, buf = cv2.imencode(ext, img)
        path = tmp_path / f"cut{ext}"
        path.write_bytes(buf.tobytes()[: len(buf) // 2])
        with pytest.raises(ImageReadError, match=f"cut{ext}"):
            read_image(path)


def test_directory_and_bad_arrays_and_types(tmp_path):
    with pytest.raises(ImageReadError, match="directory"):
        read_image(tmp_path)
    with pytest.raises(ImageReadError, match="shape"):
        read_image(np.zeros((2, 2, 2)))
    with pytest.raises(ImageReadError, match="empty"):
        read_image(np.zeros((0, 5), np.uint8))
    with pytest.raises(ImageReadError, match=r"\[0, 255\]"):
        read_image(np.full((2, 2), -1, np.int32))
    with pytest.raises(ImageReadError, match="NaN"):
        read_image(np.full((2, 2), np.nan))
    with pytest.raises(ImageReadError, match="row 3"):
        read_image(np.zeros((2, 2, 2)), name="array image at row 3")
    with pytest.raises(InputTypeError, match="int"):
        read_image(42)


def test_describe_item_names_rows():
    assert describe_item("a.jpg", 4) == "row 4 ('a.jpg')"
    assert describe_item(np.zeros(1), 2) == "array image at row 2"
    assert describe_item(b"x") == "bytes image"


def test_huge_jpeg_is_decoded_reduced_and_matches_full_decode(tmp_path):
    from classicx.image.io import _jpeg_size

    rng = np.random.default_rng(0)
    big = cv2.resize(rng.integers(0, 255, (30, 40), dtype=np.uint8), (4000, 3000), interpolation=cv2.INTER_LINEAR)
    ok, buf = cv2.imencode(".jpg", big)
    path = tmp_path / "big.jpg"
    buf.tofile(path)
    assert _jpeg_size(buf.tobytes()) == (3000, 4000)
    small = read_image(path, max_side=500)
    assert small.shape == (375, 500)
    full = cv2.resize(cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE), (500, 375), interpolation=cv2.INTER_AREA)
    assert np.abs(small.astype(int) - full).mean() < 2.0
    assert read_image(path, max_side=500, color=True).shape == (375, 500, 3)
    assert _jpeg_size(b"\xff\xd8garbage") is None


def test_bad_max_side_is_a_parameter_error():
    from classicx.exceptions import ParameterError

    with pytest.raises(ParameterError, match="'max_side' parameter must be a positive integer"):
        read_image(np.zeros((4, 4), np.uint8), max_side=0)
