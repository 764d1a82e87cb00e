"""Images: corrupt, truncated, liar-header, oversized and non-image inputs, and arrays of any kind."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from classicx.exceptions import ClassicxError, ImageReadError, InputTypeError
from classicx.image import ColorHistogram, LocalDescriptors, read_image, read_options

from ._forge import encode, jpeg_with_size, png, strokes_in_alpha
from .conftest import MODES, explore, outcome

_SCENE = np.random.default_rng(0).integers(0, 255, (24, 32, 3)).astype(np.uint8)
_VALID = {
    "png": encode(_SCENE, ".png"),
    "jpg": encode(_SCENE, ".jpg"),
    "webp": encode(_SCENE, ".webp"),
    "bmp": encode(_SCENE, ".bmp"),
    "tiff": encode(_SCENE, ".tiff"),
    "rgba.png": encode(strokes_in_alpha(32)),
}


def _check_image(result, *, max_pixels: int = 64_000_000, color: bool = False) -> None:
    """A documented result: uint8 pixels of (H, W) or (H, W, 3), within the pixel budget."""
    if isinstance(result, ClassicxError):
        assert isinstance(result, (ImageReadError, InputTypeError)), type(result)
        return
    assert result.dtype == np.uint8
    assert result.ndim == (3 if color else 2) and (not color or result.shape[2] == 3)
    assert 0 < result.shape[0] * result.shape[1] <= max_pixels


def _read_everywhere(tmp_path, name: str, data: bytes) -> None:
    """The file, its bytes, and the image transformers on it: results or errors naming it."""
    path = tmp_path / name
    path.write_bytes(data)
    _check_image(outcome(lambda: read_image(path), names=name))
    _check_image(outcome(lambda: read_image(data, color=True), names="encoded image bytes"), color=True)
    features = outcome(lambda: LocalDescriptors("sift", max_keypoints=50).extract(path), names=name)
    if not isinstance(features, ClassicxError):
        assert np.isfinite(features.descriptors).all() and len(features.positions) == len(features.descriptors)
    hist = outcome(lambda: ColorHistogram(verbose=False).fit_transform([path]), names=name)
    if not isinstance(hist, ClassicxError):
        assert np.isfinite(hist).all() and hist.shape == (1, 128)


@pytest.mark.parametrize("profile", MODES)
@pytest.mark.parametrize("fmt", list(_VALID))
def test_corrupt_files_are_read_or_refused_by_name(tmp_path, profile, fmt):
    original = _VALID[fmt]

    def check(edits):
        data = bytearray(original)
        for position, value in edits:
            data[position % len(data)] = value
        _read_everywhere(tmp_path, f"corrupt.{fmt}", bytes(data))

    explore(profile, check, st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8))


@pytest.mark.parametrize("fmt", list(_VALID))
def test_truncated_files_are_read_or_refused_by_name(tmp_path, fmt):
    data = _VALID[fmt]
    for cut in sorted({0, 1, 2, 8, 16, 24, 33, *range(40, len(data), max(1, len(data) // 12)), len(data) - 1}):
        _read_everywhere(tmp_path, f"cut{cut}.{fmt}", data[:cut])
    for cut in (1, 2, len(data) // 2):
        path = tmp_path / f"cut.{fmt}"
        path.write_bytes(data[:-cut])
        if fmt == "jpg":  # a truncated JPEG is refused, never padded with grey
            with pytest.raises(ImageReadError, match="cut.jpg.*truncated"):
                read_image(path)


@pytest.mark.parametrize("profile", MODES)
def test_png_headers_that_lie_about_the_size(tmp_path, profile):
    pixels = np.full((8, 8), 200, np.uint8)

    def check(width, height, color_type, bit_depth):
        data = png(pixels, 0, size=(width, height))
        # Rewrite the colour type and bit depth too, keeping the CRC right.
        ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
        data = data[:8] + struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(
            ">I", __import__("zlib").crc32(b"IHDR" + ihdr) & 0xFFFFFFFF) + data[33:]
        path = tmp_path / "liar.png"
        path.write_bytes(data)
        result = outcome(lambda: read_image(path, max_pixels=4_000_000), names="liar.png")
        _check_image(result, max_pixels=4_000_000)
        if width * height > 4_000_000:
            assert isinstance(result, ImageReadError) and "pixel budget" in str(result)
        elif not isinstance(result, ClassicxError):
            # what is decoded has the size the header declares (missing rows are the decoder's business)
            assert result.shape == (height, width)

    explore(
        profile, check,
        st.integers(0, 2**31 - 1) | st.integers(0, 3000), st.integers(0, 2**31 - 1) | st.integers(0, 3000),
        st.sampled_from([0, 2, 3, 4, 6, 1, 7]), st.sampled_from([1, 2, 4, 8, 16, 3]),
    )


@pytest.mark.parametrize("profile", MODES)
def test_jpeg_headers_that_lie_about_the_size(tmp_path, profile):
    def check(width, height):
        path = tmp_path / "liar.jpg"
        path.write_bytes(jpeg_with_size(width, height))
        result = outcome(lambda: read_image(path, max_pixels=1_000_000), names="liar.jpg")
        _check_image(result, max_pixels=1_000_000)
        if width * height > 1_000_000:
            assert isinstance(result, ImageReadError) and "pixel budget" in str(result)

    explore(profile, check, st.integers(0, 65535), st.integers(0, 65535))


@pytest.mark.parametrize(
    "name, data",
    [
        ("bomb.png", lambda: png(np.zeros((2, 2), np.uint8), 0, size=(20_000, 20_000))),
        ("bomb16.png", lambda: png(np.zeros((2, 2, 4), np.uint16), 6, 16, size=(9_000, 9_000))),
        ("bomb.jpg", lambda: jpeg_with_size(65_000, 65_000)),
        ("bomb.gif", lambda: b"GIF89a" + struct.pack("<HH", 65_000, 65_000) + b"\x00" * 20),
        ("bomb.webp", lambda: b"RIFF\x00\x00\x00\x00WEBPVP8X" + b"\x00" * 8 + (20_000 - 1).to_bytes(3, "little") * 2),
        ("bomb.pgm", lambda: b"P5\n20000 20000\n255\n" + b"\x00" * 100),
    ],
)
def test_decompression_bombs_are_refused_before_decoding(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data())
    for call in (lambda: read_image(path), lambda: LocalDescriptors().extract(path),
                 lambda: ColorHistogram(verbose=False).fit_transform([path])):
        with pytest.raises(ImageReadError, match=rf"{name}.*above the pixel budget of 64,000,000"):
            call()


def test_arrays_above_the_budget_are_refused():
    with read_options(max_pixels=10_000), pytest.raises(
        ImageReadError, match="array image at row 0.*101 x 100 = 10,100 pixels"
    ):
        ColorHistogram(verbose=False).fit_transform([np.zeros((100, 101, 3), np.uint8)])


@pytest.mark.parametrize(
    "name, data",
    [("empty.png", b""), ("text.jpg", b"just some text, not an image\n"), ("zeros.png", b"\x00" * 4096),
     ("signature-only.png", b"\x89PNG\r\n\x1a\n"), ("html.webp", b"<html><body>hi</body></html>")],
)
def test_non_images_are_refused_by_name(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ImageReadError, match=name.replace(".", r"\.")):
        read_image(path)


@pytest.mark.parametrize("profile", MODES)
def test_arrays_of_any_shape_and_dtype(profile):
    dtypes = st.sampled_from([np.uint8, np.uint16, np.int8, np.int32, np.int64, np.float16, np.float32,
                              np.float64, np.bool_, np.complex64])
    shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6)

    def check(array, color):
        result = outcome(lambda: read_image(array, color=color))
        _check_image(result, color=color)

    explore(profile, check, hnp.arrays(dtypes, shapes, elements=None), st.booleans())


@pytest.mark.parametrize("item", [None, 3, 2.5, object(), ["a.jpg"], {"path": "a.jpg"}])
def test_items_of_other_types_are_input_type_errors(item):
    with pytest.raises(InputTypeError, match="expected a file path, encoded bytes or a numpy array"):
        read_image(item)


@pytest.mark.parametrize("profile", MODES)
def test_transparency_of_any_level_blends_exactly(profile):
    # Oracle: the alpha-blending formula in floating point, rounded. The second, opaque pixel keeps
    # the alpha channel "used" (one that is 0 everywhere is documented as unused and ignored).
    def check(colour, alpha, background):
        bgra = np.array([[[*colour, alpha], [9, 9, 9, 255]]], np.uint8)
        got = read_image(bgra, color=True, background=background)[0, 0].astype(int)
        expected = np.round((np.array(colour) * alpha + background * (255 - alpha)) / 255.0)
        assert np.abs(got - expected).max() <= 1e-9
        assert read_image(bgra, color=True, background=background)[0, 1].tolist() == [9, 9, 9]
        unused = bgra.copy()
        unused[..., 3] = 0
        assert read_image(unused, color=True, background=background)[0, 0].tolist() == list(colour)

    explore(profile, check, st.tuples(*[st.integers(0, 255)] * 3), st.integers(0, 255), st.integers(0, 255))
