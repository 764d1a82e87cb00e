"""The JSON API through FastAPI's test client: every endpoint, every limit, every error."""

from __future__ import annotations

import builtins
import copy
import io
import os
import pathlib
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import cv2
import joblib
import numpy as np
import pytest

from .conftest import SERVE_EXTRA, encode, running

fastapi = pytest.importorskip("fastapi", reason=SERVE_EXTRA)
pytest.importorskip("PIL", reason=SERVE_EXTRA)
httpx = pytest.importorskip("httpx", reason=SERVE_EXTRA)

from fastapi.testclient import TestClient

from classicx.metrics import chance_average_precision, relevance_from_labels
from classicx.serve import Limits, create_app


def same_hits(api_hits, model_hits):
    assert [h["id"] for h in api_hits] == [h.id for h in model_hits]
    assert [h["score"] for h in api_hits] == [h.score for h in model_hits]
    assert [h["rank"] for h in api_hits] == list(range(1, len(model_hits) + 1))


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels (valid CRCs, almost no data)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def png_bomb(side: int) -> bytes:
    """A real, decodable all-black gray PNG of side x side pixels that compresses to a few kB per megapixel."""
    compressor = zlib.compressobj(9)
    row = b"\0" * (side + 1)  # filter byte + pixels
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    head = png_header(side, side)
    ihdr_end = 8 + 25
    idat = struct.pack(">I", len(body)) + b"IDAT" + body + struct.pack(">I", zlib.crc32(b"IDAT" + body))
    return head[:ihdr_end] + idat + head[-12:]


def jpeg_claiming(data: bytes, width: int, height: int) -> bytes:
    """A real JPEG with the size in its start-of-frame header replaced."""
    at = data.index(b"\xff\xc0")
    return data[: at + 5] + struct.pack(">HH", height, width) + data[at + 9 :]


def upload(client, content: bytes, name="query.png", kind="image/png", k=5, url="/api/search/image"):
    return client.post(url, files={"file": (name, content, kind)}, data={"k": str(k)})


# --------------------------------------------------------------------- health, info, schema
def test_health(client, model):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "n_images": 120, "n_texts": 120}


def test_info_chance_level_and_no_recorded_map(client, data):
    info = client.get("/api/info").json()
    relevance = relevance_from_labels(data.train.labels, data.train.labels)
    expected = chance_average_precision(relevance, average=True)
    assert info["chance"]["text_to_image"] == pytest.approx(expected, rel=1e-12)
    assert info["chance"]["image_to_text"] == pytest.approx(expected, rel=1e-12)
    assert info["chance"]["relevance"] == "same label"
    assert info["report"] is None
    assert info["label_names"] == data.categories
    assert info["limits"]["max_k"] == 100
    assert info["stages"]["aligner"] == "RegularizedCCA"


def test_info_shows_a_recorded_report(model, data):
    report = {"map_text_to_image": 0.5, "map_image_to_text": 0.4, "chance_text_to_image": 0.15,
              "n_queries": 40, "relevance": "same label", "extra": {"nested": 1}}
    info = TestClient(create_app(model, report=report)).get("/api/info").json()
    assert info["report"] == {k: v for k, v in report.items() if k != "extra"}


def test_chance_without_labels_is_one_relevant_item(model):
    unlabelled = copy.copy(model)
    unlabelled.image_labels_ = unlabelled.text_labels_ = None
    info = TestClient(create_app(unlabelled)).get("/api/info").json()
    n = 120
    harmonic = sum(1 / r for r in range(1, n + 1))
    assert info["chance"]["text_to_image"] == pytest.approx(harmonic / n)
    assert info["chance"]["relevance"] == "the paired item"


def test_openapi_schema_describes_every_endpoint(client):
    schema = client.get("/openapi.json").json()
    assert set(schema["paths"]) == {
        "/api/health", "/api/info", "/api/search/text", "/api/search/image", "/api/search/gallery-image",
        "/api/search/fused", "/api/items/{item_id}", "/api/thumbnails/{item_id}",
    }
    hit = schema["components"]["schemas"]["Hit"]["properties"]
    assert {"id", "rank", "score", "label", "label_name", "description", "thumbnail_url", "text"} <= set(hit)
    assert "multipart/form-data" in schema["paths"]["/api/search/image"]["post"]["requestBody"]["content"]
    # The interactive docs would load scripts from a CDN: not served.
    assert client.get("/docs").status_code == 404


# --------------------------------------------------------------------- searches
def test_answers_are_what_the_response_model_gives(client, data):
    """The search answers are encoded without FastAPI's response validation: the same JSON all the same."""
    from classicx.serve._app import SearchResults

    png = encode(data.test.images[3])
    answers = [
        client.post("/api/search/text", json={"text": "a red circle", "k": 4}),
        upload(client, png, k=3),
        client.post("/api/search/gallery-image", json={"id": data.train.ids[2], "k": 3}),
        client.post("/api/search/fused", data={"text": "a blue star", "weight": "0.3", "k": "3"},
                    files={"file": ("q.png", png, "image/png")}),
        client.post("/api/search/fused", data={"text": "a blue star", "target": "texts", "k": "3"}),
    ]
    for response in answers:
        assert response.status_code == 200, response.text
        body = response.json()
        expected = SearchResults.model_validate(body).model_dump(mode="json")
        assert body == expected
        assert [list(hit) for hit in body["hits"]] == [list(hit) for hit in expected["hits"]]


def test_text_fast_path_answers_as_the_route_does(model, data, monkeypatch):
    """Text queries answered before FastAPI's routing give the route's answers, errors included."""
    from classicx.serve import _app

    answered = []
    original = _app._TextQueryFastPath._answer

    async def counting(self, scope, body):
        answer = await original(self, scope, body)
        answered.append(answer is not None)
        return answer

    monkeypatch.setattr(_app._TextQueryFastPath, "_answer", counting)
    fast = TestClient(create_app(model, images=data.train.images))
    routed_app = create_app(model, images=data.train.images)
    routed_app.user_middleware = [m for m in routed_app.user_middleware if m.cls is not _app._TextQueryFastPath]
    routed = TestClient(routed_app)
    requests = [
        {"json": {"text": "a red circle", "k": 4}},
        {"json": {"text": "a blue star"}},
        {"json": {"text": "green square", "k": "3"}},  # lax, as FastAPI validates a JSON body
        {"json": {"text": "circle", "k": 101}},
        {"json": {"text": "   "}},
        {"json": {"k": 3}},
        {"json": [1, 2]},
        {"json": {"text": "zzzz qqqq", "k": 2}},  # no word the model knows: refused by the search
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
        {"content": b'{"text": "a red circle"}', "headers": {"content-type": "text/plain"}},
    ]
    for request in requests:
        a, b = fast.post("/api/search/text", **request), routed.post("/api/search/text", **request)
        assert (a.status_code, a.json()) == (b.status_code, b.json()), request
        assert a.headers["content-type"] == b.headers["content-type"]
    assert answered == [True, True, True] + [False] * 7


@pytest.mark.parametrize("text", ["a red circle", "small green cross on dots"])
def test_text_search_is_the_model_search(client, model, text):
    response = client.post("/api/search/text", json={"text": text, "k": 7})
    assert response.status_code == 200
    body = response.json()
    assert body["target"] == "images" and body["k"] == 7
    same_hits(body["hits"], model.search_text(text, k=7))
    first = body["hits"][0]
    index = model.image_ids_.index(first["id"])
    assert first["modality"] == "image"
    assert first["label"] == int(model.image_labels_[index])
    assert first["description"] == model.image_descriptions_[index]
    assert first["thumbnail_url"] == f"/api/thumbnails/{first['id']}"


def test_k_beyond_the_gallery_returns_the_gallery(client):
    assert len(client.post("/api/search/text", json={"text": "circle", "k": 100}).json()["hits"]) == 100
    small = TestClient(create_app(client.app.state.served.retriever, limits=Limits(max_k=500)))
    assert len(small.post("/api/search/text", json={"text": "circle", "k": 500}).json()["hits"]) == 120


@pytest.mark.parametrize("ext", [".png", ".jpg", ".bmp", ".webp"])
def test_image_upload_is_the_model_search(client, model, data, ext):
    content = encode(data.test.images[4], ext)
    response = upload(client, content, name="photo" + ext, k=6)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["target"] == "texts"
    same_hits(body["hits"], model.search_image(content, k=6))
    hit = body["hits"][0]
    assert hit["modality"] == "text" and hit["text"] == model.gallery_texts_[model.text_ids_.index(hit["id"])]


def test_upload_content_is_sniffed_not_the_declared_type(client, data):
    png = encode(data.test.images[0])
    assert upload(client, png, name="notes.txt", kind="text/plain").status_code == 200
    response = upload(client, b"GIF89a" + b"\0" * 100, name="x.png", kind="image/png")
    assert response.status_code == 415
    response = upload(client, b"just some text, not an image", name="x.jpg", kind="image/jpeg")
    assert response.status_code == 415
    assert "not a JPEG, PNG, WebP or BMP image" in response.json()["detail"]
    assert upload(client, b"", name="x.png").status_code == 415


def test_gif_is_refused(client):
    ok, gif = True, None
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="GIF")
    gif = buffer.getvalue()
    assert ok and upload(client, gif).status_code == 415


def test_damaged_image_is_a_clear_422(client, data):
    png = encode(data.test.images[0])
    response = upload(client, png[:200])
    assert response.status_code in (415, 422)
    assert "Traceback" not in response.text and response.json()["detail"]


def test_gallery_image_search_is_the_model_search(client, model, data):
    response = client.post("/api/search/gallery-image", json={"id": data.train.ids[9], "k": 5})
    assert response.status_code == 200
    same_hits(response.json()["hits"], model.search_image(data.train.images[9], k=5))


def test_fused_with_upload_and_with_gallery_id(client, model, data):
    from classicx.serve import fused_search

    png = encode(data.test.images[2])
    response = client.post("/api/search/fused", data={"text": "a blue star", "weight": "0.4", "target": "texts",
                                                       "k": "5"}, files={"file": ("q.png", png, "image/png")})
    assert response.status_code == 200
    same_hits(response.json()["hits"], fused_search(model, "a blue star", png, weight=0.4, target="texts", k=5))
    response = client.post("/api/search/fused", data={"text": "a blue star", "image_id": data.train.ids[3],
                                                       "weight": "0.6", "k": "5"})
    assert response.status_code == 200
    same_hits(response.json()["hits"],
              fused_search(model, "a blue star", data.train.images[3], weight=0.6, target="images", k=5))


def test_fused_ends_are_the_single_searches(client, model, data):
    response = client.post("/api/search/fused", data={"text": "a red circle", "image_id": data.train.ids[0],
                                                       "weight": "0", "target": "images", "k": "8"})
    same_hits(response.json()["hits"], model.search_text("a red circle", k=8))
    response = client.post("/api/search/fused", data={"text": "a red circle", "image_id": data.train.ids[0],
                                                       "weight": "1", "target": "texts", "k": "8"})
    same_hits(response.json()["hits"], model.search_image(data.train.images[0], k=8))
    response = client.post("/api/search/fused", data={"text": "a red circle", "k": "8"})
    same_hits(response.json()["hits"], model.search_text("a red circle", k=8))


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "needs a text, an image, or both"),
        ({"text": "circle", "weight": "1.5"}, "weight"),
        ({"text": "circle", "weight": "-0.1"}, "weight"),
        ({"text": "circle", "weight": "heavy"}, "weight"),
        ({"text": "circle", "target": "audio"}, "target"),
        ({"text": "circle", "k": "0"}, "k must be between 1 and 100"),
        ({"image_id": "no-such-id"}, "no gallery image has id 'no-such-id'"),
    ],
)
def test_fused_errors(client, form, message):
    response = client.post("/api/search/fused", data=form)
    assert response.status_code in (404, 422)
    assert message in response.json()["detail"]


def test_fused_upload_and_id_together_is_refused(client, data):
    response = client.post("/api/search/fused", data={"image_id": data.train.ids[0]},
                           files={"file": ("q.png", encode(data.test.images[0]), "image/png")})
    assert response.status_code == 422 and "not both" in response.json()["detail"]


# --------------------------------------------------------------------- items, thumbnails, page
def test_item_lookup(client, model, data):
    body = client.get(f"/api/items/{data.train.ids[5]}").json()
    assert body["id"] == data.train.ids[5]
    assert body["text"]["text"] == data.train.texts[5] and body["text"]["truncated"] is False
    assert body["image"]["description"] == data.train.descriptions[5]
    assert body["image"]["label"] == int(data.train.labels[5])
    assert body["image"]["label_name"] == data.categories[int(data.train.labels[5])]
    assert client.get("/api/items/unknown").status_code == 404


def test_long_texts_are_cut_in_hits_and_whole_in_items(model):
    long = copy.copy(model)
    long.gallery_texts_ = [text + " filler" * 200 for text in model.gallery_texts_]
    client = TestClient(create_app(long))
    hit = client.post("/api/search/gallery-image", json={"id": model.image_ids_[0], "k": 1}).json()["hits"][0]
    assert hit["truncated"] is True and len(hit["text"]) <= 602
    whole = client.get(f"/api/items/{hit['id']}").json()["text"]
    assert whole["truncated"] is False and whole["text"] == long.gallery_texts_[model.text_ids_.index(hit["id"])]


def test_thumbnail_by_id(client, data):
    response = client.get(f"/api/thumbnails/{data.train.ids[0]}")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    pixels = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
    assert pixels.shape == (128, 128, 3)  # already below the 256-pixel side
    difference = np.abs(pixels.astype(int) - data.train.images[0].astype(int)).mean()
    assert difference < 12  # the same picture, through JPEG
    assert client.get("/api/thumbnails/unknown").status_code == 404


def test_thumbnails_are_shrunk(model, data):
    client = TestClient(create_app(model, images=data.train.images, limits=Limits(thumbnail_side=32)))
    pixels = cv2.imdecode(np.frombuffer(client.get(f"/api/thumbnails/{data.train.ids[1]}").content, np.uint8), 1)
    assert pixels.shape == (32, 32, 3)


def test_without_image_source_there_are_no_thumbnails(model, data):
    client = TestClient(create_app(model))
    hit = client.post("/api/search/text", json={"text": "circle", "k": 1}).json()["hits"][0]
    assert hit["thumbnail_url"] is None
    response = client.get(f"/api/thumbnails/{hit['id']}")
    assert response.status_code == 404 and "not available" in response.json()["detail"]
    # Clicking an image still works: the exact cosine searcher holds the gallery vectors.
    body = client.post("/api/search/gallery-image", json={"id": data.train.ids[9], "k": 5}).json()
    assert [h["id"] for h in body["hits"]] == [h.id for h in model.search_image(data.train.images[9], k=5)]


def test_image_root_serves_only_files_inside_it(file_model, gallery_dir, data, tmp_path):
    outside = tmp_path / "outside.png"
    outside.write_bytes(encode(data.test.images[0]))
    other = copy.copy(file_model)
    descriptions = list(file_model.image_descriptions_)
    descriptions[0] = str(outside)                     # absolute path outside the root
    descriptions[1] = "../" + outside.name             # relative path leaving the root
    link = gallery_dir / "link.png"
    if not link.exists():
        link.symlink_to(outside)
    descriptions[2] = "link.png"                       # a link inside the root pointing out
    other.image_descriptions_ = descriptions
    client = TestClient(create_app(other, image_root=gallery_dir))
    for row in (0, 1, 2):
        assert client.get(f"/api/thumbnails/{data.train.ids[row]}").status_code == 404
        assert client.get(f"/api/items/{data.train.ids[row]}").json()["image"]["thumbnail_url"] is None
    response = client.get(f"/api/thumbnails/{data.train.ids[3]}")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    # An absolute description is shown by its file name only.
    assert client.get(f"/api/items/{data.train.ids[0]}").json()["image"]["description"] == "outside.png"


def test_page_and_static_files(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for element in ('id="text-query"', 'id="image-file"', 'id="fused-weight"', 'role="alert"'):
        assert element in page.text
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/static/_app.py").status_code == 404
    assert client.get("/static/..%2F_app.py").status_code == 404


# --------------------------------------------------------------------- limits and errors
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"text": "circle", "k": 101}, "k must be between 1 and 100; got 101"),
        ({"text": "circle", "k": 0}, "k must be between 1 and 100; got 0"),
        ({"text": "circle", "k": "many"}, "k:"),
        ({"text": "   ", "k": 3}, "the text query is empty"),
        ({"text": "x" * 2001}, "the text query has 2001 characters; the limit is 2000"),
        ({"k": 3}, "text: Field required"),
        ({"text": 42}, "text:"),
        ([1, 2], "request"),
    ],
)
def test_text_query_errors(client, body, message):
    response = client.post("/api/search/text", json=body)
    assert response.status_code == 422
    assert response.json()["status"] == 422 and message in response.json()["detail"]


def test_malformed_json_is_a_json_422(client):
    response = client.post("/api/search/text", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422 and "JSON" in response.json()["detail"]


def test_upload_limits(model, data):
    limits = Limits(max_upload_bytes=20_000)
    client = TestClient(create_app(model, limits=limits))
    noise = np.random.default_rng(0).integers(0, 256, (100, 100, 3), dtype=np.uint8)
    big = encode(noise)  # incompressible: about 30 kB
    assert 20_000 < len(big) < limits.max_body_bytes
    response = upload(client, big)
    assert response.status_code == 413 and "larger than 20,000 bytes" in response.json()["detail"]
    huge = big * 4
    response = upload(client, huge)
    assert response.status_code == 413 and "request body is larger" in response.json()["detail"]


def test_body_limit_without_content_length(model):
    client = TestClient(create_app(model, limits=Limits(max_upload_bytes=1000)))

    def chunks():
        for _ in range(100):
            yield b"x" * 1000

    response = client.post("/api/search/text", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["status"] == 413


def test_decompression_bombs_are_refused_before_decoding(client, data, monkeypatch):
    decoded = []
    real_imdecode = cv2.imdecode
    monkeypatch.setattr(cv2, "imdecode", lambda *a, **k: decoded.append(1) or real_imdecode(*a, **k))
    bomb = png_bomb(7000)  # 49 megapixels of black in about 50 kB
    assert len(bomb) < 100_000
    response = upload(client, bomb)
    assert response.status_code == 413
    assert "7000x7000 = 49,000,000 pixels; the limit is 40,000,000" in response.json()["detail"]
    response = upload(client, png_header(100_000, 100_000))  # Pillow's own bomb guard answers first
    assert response.status_code == 413
    small_jpeg = encode(data.test.images[0], ".jpg")
    response = upload(client, jpeg_claiming(small_jpeg, 8000, 8000), name="x.jpg")
    assert response.status_code == 413 and "8000x8000" in response.json()["detail"]
    assert decoded == []


def test_pixel_limit_is_configurable(model, data):
    client = TestClient(create_app(model, limits=Limits(max_pixels=100 * 100)))
    response = upload(client, encode(data.test.images[0]))
    assert response.status_code == 413 and "128x128 = 16,384 pixels; the limit is 10,000" in response.json()["detail"]


def test_unknown_route_and_method_are_json(client):
    response = client.get("/api/nothing")
    assert response.status_code == 404 and response.json() == {"status": 404, "detail": "Not Found"}
    response = client.get("/api/search/text")
    assert response.status_code == 405 and response.json()["status"] == 405


def test_unexpected_errors_are_json_without_traceback(model, caplog):
    broken = copy.copy(model)

    def boom(*args):
        raise RuntimeError("secret internal detail")

    broken._query_vectors = boom  # the projection of search queries
    client = TestClient(create_app(broken), raise_server_exceptions=False)
    response = client.post("/api/search/text", json={"text": "circle"})
    assert response.status_code == 500
    assert response.json()["status"] == 500
    assert "secret" not in response.text and "Traceback" not in response.text
    assert any("secret internal detail" in str(r.exc_info) for r in caplog.records if r.exc_info)


# --------------------------------------------------------------------- safety
@pytest.mark.filterwarnings("ignore::classicx.exceptions.EmptyFeatureWarning")  # "/etc/hostname" has no known word
def test_no_path_from_a_request_is_ever_opened(client, data, monkeypatch):
    opened = []

    def spy(real):
        def wrapper(*args, **kwargs):
            opened.extend(str(a) for a in args[:1] if isinstance(a, (str, bytes, os.PathLike)))
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(builtins, "open", spy(builtins.open))
    monkeypatch.setattr(io, "open", spy(io.open))
    monkeypatch.setattr(os, "open", spy(os.open))
    monkeypatch.setattr(os, "stat", spy(os.stat))
    monkeypatch.setattr(pathlib.Path, "read_bytes", spy(pathlib.Path.read_bytes))
    monkeypatch.setattr(np, "fromfile", spy(np.fromfile))
    monkeypatch.setattr(cv2, "imread", spy(cv2.imread))
    with open(os.devnull, "rb"):
        pass
    assert opened == [os.devnull]  # the spies see what is opened
    target = "/etc/hostname"
    client.post("/api/search/text", json={"text": target})
    client.post("/api/search/gallery-image", json={"id": target})
    client.post("/api/search/fused", data={"text": target, "image_id": target})
    client.post("/api/search/fused", data={"image_id": "../../../../etc/hostname"})
    client.get("/api/thumbnails/..%2F..%2F..%2Fetc%2Fhostname")
    client.get("/api/items/%2Fetc%2Fhostname")
    client.get("/api/items/..%2F..%2Fetc%2Fhostname")
    upload(client, target.encode(), name=target)
    upload(client, encode(data.test.images[0]), name=target)
    assert not [path for path in opened if "hostname" in path]


def test_the_model_is_not_changed_by_requests(model, data, client):
    before = joblib.hash(model)
    png = encode(data.test.images[0])
    client.post("/api/search/text", json={"text": "circle", "k": 3})
    upload(client, png)
    client.post("/api/search/gallery-image", json={"id": data.train.ids[0]})
    client.post("/api/search/fused", data={"text": "star", "image_id": data.train.ids[1], "weight": "0.5"})
    client.get(f"/api/thumbnails/{data.train.ids[0]}")
    client.get(f"/api/items/{data.train.ids[0]}")
    assert joblib.hash(model) == before


def test_cors_is_off_by_default(client):
    response = client.get("/api/health", headers={"Origin": "http://elsewhere.example"})
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options("/api/search/text", headers={
        "Origin": "http://elsewhere.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_for_named_origins(model):
    client = TestClient(create_app(model, cors_origins=["http://app.example"]))
    allowed = client.get("/api/health", headers={"Origin": "http://app.example"})
    assert allowed.headers["access-control-allow-origin"] == "http://app.example"
    other = client.get("/api/health", headers={"Origin": "http://elsewhere.example"})
    assert "access-control-allow-origin" not in other.headers
    # Text queries are answered before FastAPI's routing: with the CORS headers all the same.
    search = client.post("/api/search/text", json={"text": "a red circle"}, headers={"Origin": "http://app.example"})
    assert search.status_code == 200 and search.headers["access-control-allow-origin"] == "http://app.example"
    search = client.post("/api/search/text", json={"text": "a red circle"},
                         headers={"Origin": "http://elsewhere.example"})
    assert "access-control-allow-origin" not in search.headers


def test_concurrent_requests_agree_with_serial_ones_and_leave_thread_limits(model, data):
    """One model shared by the server's threads, searchers asking for 2 threads (process-wide BLAS limit)."""
    from threadpoolctl import threadpool_info

    shared = copy.copy(model)
    shared.image_gallery_ = copy.copy(model.image_gallery_).set_params(n_jobs=2)
    shared.text_gallery_ = copy.copy(model.text_gallery_).set_params(n_jobs=2)
    threads_before = [(p["internal_api"], p["num_threads"]) for p in threadpool_info()]
    cv2_before = cv2.getNumThreads()
    texts = ["a red circle", "blue star", "green square on stripes", "ring"]
    images = [encode(data.test.images[i]) for i in range(4)]
    expected_text = [[h.id for h in model.search_text(t, k=5)] for t in texts]
    expected_image = [[h.id for h in model.search_image(img, k=5)] for img in images]
    with running(create_app(shared)) as url, httpx.Client(base_url=url, timeout=60) as http:
        def ask(i):
            if i % 2:
                r = http.post("/api/search/text", json={"text": texts[i % 4], "k": 5})
                return "text", i % 4, [h["id"] for h in r.json()["hits"]]
            r = http.post("/api/search/image", files={"file": ("q.png", images[i % 4])}, data={"k": "5"})
            return "image", i % 4, [h["id"] for h in r.json()["hits"]]

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(ask, range(32)))
    for kind, i, ids in results:
        assert ids == (expected_text if kind == "text" else expected_image)[i]
    assert [(p["internal_api"], p["num_threads"]) for p in threadpool_info()] == threads_before
    assert cv2.getNumThreads() == cv2_before


def test_concurrent_text_queries_are_batched_and_answered_alike(model):
    """Many text queries at once: fewer batches than queries, each answer equal to the model's own."""
    from classicx.serve._model import ServedModel

    served = ServedModel(model)
    texts = [f"a {colour} {shape}" for colour in ("red", "blue", "green", "pink")
             for shape in ("circle", "star", "square", "ring", "cross")]
    ks = [1 + i % 7 for i in range(len(texts))]
    futures = [served.submit_text(text, k) for text, k in zip(texts, ks)]
    answers = [future.result(timeout=60) for future in futures]
    assert served._text_batcher.batches < len(texts)
    for text, k, hits in zip(texts, ks, answers):
        expected = model.search_text(text, k=k)
        assert [h["id"] for h in hits] == [h.id for h in expected]
        np.testing.assert_allclose([h["score"] for h in hits], [h.score for h in expected], rtol=1e-5, atol=1e-6)
