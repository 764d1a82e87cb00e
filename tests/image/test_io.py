from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from classicx.exceptions import ImageReadError, InputTypeError
from classicx.exceptions import ParameterError as _ParameterError
from classicx.image import (
    ColorHistogram,
    LocalDescriptors,
    get_read_options,
    read_image,
    read_options,
    set_read_options,
)
from classicx.image.io import describe_item

from ..fuzz._forge import encode, jpeg_with_size, png, strokes_in_alpha
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
    # half-transparent red over white: round(c * 128/255 + 255 * 127/255) per channel
    assert read_image(p4, color=True)[0, 0].tolist() == [127, 127, 227]
    assert read_image(p4, color=True, background="drop")[0, 0].tolist() == [0, 0, 200]
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


# ------------------------------------------------------------------ transparency


def _alpha_variants() -> dict[str, bytes | np.ndarray]:
    """The same strokes-in-alpha drawing in every form that carries transparency."""
    bgra = strokes_in_alpha()
    alpha = bgra[..., 3]
    ink = (alpha > 0).astype(np.uint8)
    return {
        "BGRA array": bgra,
        "BGRA uint16 array": bgra.astype(np.uint16) * 257,
        "RGBA PNG": encode(bgra),
        "gray+alpha PNG": png(np.stack([np.zeros_like(alpha), alpha], -1), 4),
        "16-bit RGBA PNG": png(np.concatenate([np.zeros(alpha.shape + (3,)), alpha[..., None] * 257.0], -1), 6, 16),
        "palette PNG with tRNS": png(ink, 3, palette=[[0, 0, 0], [0, 0, 0]], trns=b"\x00\xff"),
        "RGBA WebP (lossless)": cv2.imencode(".webp", bgra, [cv2.IMWRITE_WEBP_QUALITY, 101])[1].tobytes(),
        "RGBA TIFF": encode(bgra, ".tiff"),
    }


@pytest.mark.parametrize("form", list(_alpha_variants()))
def test_strokes_that_exist_only_in_alpha_are_composited_on_white(form):
    item = _alpha_variants()[form]
    alpha = strokes_in_alpha()[..., 3]
    gray = read_image(item)
    # Oracle: opaque pixels are the black ink, transparent ones the white background.
    np.testing.assert_array_equal(gray, np.where(alpha > 0, 0, 255).astype(np.uint8))
    assert len(LocalDescriptors("sift").extract(item).descriptors) > 5
    assert len(LocalDescriptors("orb").extract(item).descriptors) > 0


def test_without_compositing_the_drawing_is_uniform_and_gives_nothing():
    # What classicx 0.2 did (background="drop"): every such icon became uniformly black.
    bgra = strokes_in_alpha()
    assert read_image(bgra, background="drop").max() == 0
    with read_options(background="drop"):
        assert len(LocalDescriptors("sift").extract(encode(bgra)).descriptors) == 0


def test_background_option_is_shared_by_every_reader_and_restored():
    bgra = np.zeros((4, 4, 4), np.uint8)   # fully transparent except one opaque red pixel
    bgra[0, 0] = (0, 0, 255, 255)
    assert get_read_options().background == "white"
    with read_options(background="#102030"):
        assert read_image(bgra, color=True)[1, 1].tolist() == [0x30, 0x20, 0x10]   # BGR of #102030
        hist = ColorHistogram(bins=(4, 2, 2), normalize="l1", verbose=False, n_jobs=2).fit_transform([bgra, bgra])
        # 15 of the 16 pixels are the background (n_jobs=2: the option reaches joblib's workers too);
        # its histogram cell, from OpenCV's own HSV conversion:
        hsv = cv2.cvtColor(np.array([[[0x30, 0x20, 0x10]]], np.uint8), cv2.COLOR_BGR2HSV)[0, 0]
        cell = (int(hsv[0]) * 4 // 180) * 4 + (int(hsv[1]) * 2 // 256) * 2 + int(hsv[2]) * 2 // 256
        assert hist[0, cell] == pytest.approx(15 / 16)
    assert get_read_options().background == "white"
    assert read_image(bgra, color=True)[1, 1].tolist() == [255, 255, 255]
    assert read_image(bgra, color=True, background=0)[1, 1].tolist() == [0, 0, 0]


def test_an_alpha_channel_left_at_zero_is_unused_not_transparent():
    # 32-bit BMP writers store 0 in the fourth byte: the colours are the image.
    bgra = np.zeros((6, 6, 4), np.uint8)
    bgra[..., 1] = 150
    assert read_image(bgra, color=True)[0, 0].tolist() == [0, 150, 0]
    assert read_image(encode(bgra, ".bmp"), color=True)[0, 0].tolist() == [0, 150, 0]


@pytest.mark.parametrize("bad", ["grey", -1, 256, True, "#12345", (1, 2, 3)])
def test_bad_background_is_a_parameter_error(bad):
    with pytest.raises(_ParameterError, match="background"):
        read_image(np.zeros((2, 2), np.uint8), background=bad)
    with pytest.raises(_ParameterError, match="background"):
        set_read_options(background=bad)
    assert get_read_options().background == "white"


# ------------------------------------------------------------------ pixel budget
@pytest.mark.parametrize(
    "kind, data",
    [
        ("PNG", lambda: png(np.zeros((4, 4), np.uint8), 0, size=(20_000, 20_000))),
        ("JPEG", lambda: jpeg_with_size(20_000, 20_000)),
        ("BMP", lambda: encode(np.zeros((4, 4, 3), np.uint8), ".bmp")[:18]
            + (20_000).to_bytes(4, "little") + (20_000).to_bytes(4, "little")
            + encode(np.zeros((4, 4, 3), np.uint8), ".bmp")[26:]),
    ],
)
def test_a_small_file_declaring_a_huge_image_is_refused_before_decoding(tmp_path, kind, data):
    path = tmp_path / f"bomb.{kind.lower()}"
    path.write_bytes(data())
    assert path.stat().st_size < 5000
    with pytest.raises(ImageReadError, match=r"bomb\..*20000 x 20000 = 400,000,000 pixels, above the pixel budget"):
        read_image(path)
    with pytest.raises(ImageReadError, match="encoded image bytes: the image is 20000 x 20000"):
        read_image(path.read_bytes())


def test_the_budget_is_configurable_and_applies_to_arrays_and_decoded_sizes():
    image = np.zeros((100, 120), np.uint8)
    assert read_image(image, max_pixels=12_000).shape == (100, 120)
    with pytest.raises(ImageReadError, match="120 x 100 = 12,000 pixels, above the pixel budget of 11,999"):
        read_image(image, max_pixels=11_999)
    with pytest.raises(ImageReadError, match="above the pixel budget"):
        read_image(encode(image), max_pixels=11_999)
    with read_options(max_pixels=11_999), pytest.raises(ImageReadError, match="above the pixel budget"):
        LocalDescriptors().extract(image)
    assert get_read_options().max_pixels == 64_000_000


def test_a_jpeg_counts_at_the_scale_it_is_decoded_at(tmp_path):
    big = np.full((2000, 1600, 3), 128, np.uint8)
    data = encode(big, ".jpg")
    with pytest.raises(ImageReadError, match="1600 x 2000"):
        read_image(data, max_pixels=1_000_000)
    # with max_side=250 libjpeg decodes at 1/8: 200 x 250 pixels, within the budget
    assert read_image(data, max_pixels=1_000_000, max_side=250).shape == (250, 200)


def test_header_sizes_match_what_opencv_decodes():
    from classicx.image.io import header_size

    image = np.zeros((37, 53, 3), np.uint8)
    for ext, kind in [(".png", "PNG"), (".jpg", "JPEG"), (".bmp", "BMP"), (".tiff", "TIFF"),
                      (".webp", "WEBP"), (".ppm", "PNM"), (".pgm", "PNM")]:
        pixels = image if ext != ".pgm" else image[..., 0]
        data = encode(pixels, ext)
        assert header_size(data) == (kind, 37, 53), ext
        assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED).shape[:2] == (37, 53)
    lossy = cv2.imencode(".webp", image, [cv2.IMWRITE_WEBP_QUALITY, 80])[1].tobytes()
    assert header_size(lossy) == ("WEBP", 37, 53)
    assert header_size(b"GIF89a" + (53).to_bytes(2, "little") + (37).to_bytes(2, "little")) == ("GIF", 37, 53)
    assert header_size(b"not an image") is None
    assert header_size(b"\x89PNG\r\n\x1a\n\x00\x00") is None
