"""Self-contained HTML pages of search results and evaluation reports.

Everything a page shows is inside the one file: thumbnails are JPEG data URIs
made with OpenCV, the precision-recall curves are inline SVG, the style sheet
is inline. Every piece of text from the model or the data goes through
:func:`html.escape`, so a caption holding ``<script>`` is shown, not run.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._text import shorten

__all__ = ["thumbnail_uri", "search_page", "evaluation_page", "write_page"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; }
td, th { border-bottom: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
.query { background: #f3f6fb; padding: 0.6em; border-radius: 6px; }
.thumb { max-width: 160px; max-height: 160px; display: block; }
.none { color: #888; font-style: italic; }
.right { color: #176317; font-weight: bold; } .wrong { color: #a11; font-weight: bold; }
.warning { background: #fff1d6; border: 2px solid #e3a008; padding: 0.6em; border-radius: 6px; }
.score { font-variant-numeric: tabular-nums; }
"""

_THUMB_SIDE = 160
_HIT_SIDE = 96  # hits in a table: smaller than the query's thumbnail


def thumbnail_uri(image: Any, max_side: int = _THUMB_SIDE) -> str | None:
    """A ``data:image/jpeg;base64,...`` URI of a small copy of ``image``, or ``None`` if it cannot be read.

    Parameters
    ----------
    image : path, encoded bytes or ndarray
        Anything :func:`classicx.image.read_image` reads (BGR arrays for colour).
    max_side : int, default=160
        The longer side of the thumbnail in pixels.

    Returns
    -------
    str or None

    Examples
    --------
    >>> import numpy as np
    >>> thumbnail_uri(np.zeros((300, 200, 3), dtype=np.uint8)).startswith("data:image/jpeg;base64,")
    True
    """
    import cv2

    from ..exceptions import ImageReadError, InputTypeError
    from ..image import read_image

    if image is None:
        return None
    try:
        pixels = read_image(image, max_side=max_side, color=True)
    except (ImageReadError, InputTypeError):
        return None
    ok, buffer = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 BGR array
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buffer.tobytes()).decode("ascii")


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _img(uri: str | None, alt: str) -> str:
    if uri is None:
        return '<span class="none">no image file</span>'
    return f'<img class="thumb" src="{uri}" alt="{_e(alt)}">'


def _page(title: str, body: list[str]) -> str:
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head><body>",
        f"<h1>{_e(title)}</h1>",
        *body,
        "</body></html>",
        "",
    ])


def _mark(label: str | None, wanted: str | None) -> str:
    """The hit's label, marked right or wrong when the query's label is known."""
    if label is None:
        return '<span class="none">no label</span>'
    if wanted is None:
        return _e(label)
    right = bool(set(label.split("|")) & set(wanted.split("|")))
    return f'<span class="{"right" if right else "wrong"}">{"✓" if right else "✗"} {_e(label)}</span>'


def _hit_rows(hits: Sequence[Any], target: str, query_label: str | None = None,
              images: dict[int, Any] | None = None) -> list[str]:
    """Table rows of hits; ``images`` maps a gallery index to its pixels where there is no file."""
    rows = ["<table>", "<tr><th>rank</th><th>score</th><th>image</th><th>id</th><th>label</th><th>text</th></tr>"]
    for hit in hits:
        source = hit.file if hit.file is not None else (images or {}).get(hit.index)
        text = _e(shorten(hit.text, 300)) if hit.text else '<span class="none">no paired text</span>'
        if target == "images" and hit.content != hit.file:  # the image's description, where it says more
            text += f"<br><small>{_e(hit.content)}</small>"
        rows.append(
            "<tr>"
            f'<td>{hit.rank}</td><td class="score">{hit.score:+.3f}</td>'
            f"<td>{_img(thumbnail_uri(source, _HIT_SIDE), hit.content)}</td>"
            f"<td>{_e(hit.id)}</td><td>{_mark(hit.label, query_label)}</td><td>{text}</td></tr>"
        )
    rows.append("</table>")
    return rows


def search_page(hits: Sequence[Any], *, query_text: str | None = None, query_image: Any = None,
                model: str = "", query_label: str | None = None) -> str:
    """The HTML page of one search: the query, then each hit with its thumbnail, id, label and text.

    Parameters
    ----------
    hits : sequence of classicx.Hit
    query_text : str, optional
        The text query (the hits are images).
    query_image : path, bytes or ndarray, optional
        The image query (the hits are texts, shown with their paired image).
    model : str, default=""
        Where the model came from, for the heading.
    query_label : str, optional
        The query's category: each hit's label is then marked right or wrong.

    Returns
    -------
    str
        A complete HTML document.
    """
    target = "images" if query_text is not None else "texts"
    body = ['<div class="query">']
    if query_text is not None:
        body.append(f"<p><b>text query:</b> {_e(query_text)}</p>")
    else:
        name = os.fspath(query_image) if isinstance(query_image, (str, os.PathLike)) else "image"
        body.append(f"<p><b>image query:</b> {_e(name)}</p>{_img(thumbnail_uri(query_image), name)}")
    if query_label is not None:
        body.append(f"<p>query label: {_e(query_label)}</p>")
    body.append("</div>")
    body.append(f"<h2>{len(hits)} best gallery {target}</h2>")
    body.extend(_hit_rows(hits, target, query_label))
    return _page(f"classicx search{': ' + model if model else ''}", body)


def _svg_curves(curves: dict[str, tuple[np.ndarray, np.ndarray]], size: int = 320) -> str:
    """Precision (y) against recall (x) as an inline SVG, one polyline per direction."""
    colours = {"image_to_text": "#1f5fbf", "text_to_image": "#d0651b"}
    pad = 36
    inner = size - 2 * pad
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size + 120}" height="{size}" '
             'role="img" aria-label="precision-recall curves">',
             f'<rect x="{pad}" y="{pad}" width="{inner}" height="{inner}" fill="none" stroke="#999"/>']
    for tick in (0.0, 0.5, 1.0):
        x, y = pad + tick * inner, pad + (1 - tick) * inner
        parts.append(f'<text x="{x:.1f}" y="{size - pad + 14}" font-size="11" text-anchor="middle">{tick:g}</text>')
        parts.append(f'<text x="{pad - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{tick:g}</text>')
    parts.append(f'<text x="{pad + inner / 2}" y="{size - 4}" font-size="12" text-anchor="middle">recall</text>')
    parts.append(f'<text x="10" y="{pad - 12}" font-size="12">precision</text>')
    for row, (direction, (precision, recall)) in enumerate(curves.items()):
        points = " ".join(f"{pad + r * inner:.1f},{pad + (1 - p) * inner:.1f}" for p, r in zip(precision, recall))
        colour = colours.get(direction, "#444")
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        parts.append(f'<text x="{size - pad + 8}" y="{pad + 14 + 16 * row}" font-size="12" fill="{colour}">'
                     f'{_e(direction.replace("_to_", "→"))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def evaluation_page(details: Any, *, model: str = "", dataset: str = "", warnings: Sequence[str] = ()) -> str:
    """The HTML page of an evaluation: the scores, the precision-recall curves and example queries.

    Parameters
    ----------
    details : classicx.report.EvaluationDetails
        From :func:`classicx.report.evaluation_details`.
    model, dataset : str
        Shown in the heading.
    warnings : sequence of str
        Shown in a box above the scores (for example the overlap of the
        evaluation pairs with the training pairs).

    Returns
    -------
    str
        A complete HTML document.
    """
    report = details.report
    body = [f"<p>model {_e(model)} on {_e(dataset)}: {report.n_queries} queries each way, "
            f"relevant = {_e(report.relevance)}</p>"]
    body += [f'<p class="warning">{_e(w)}</p>' for w in warnings]
    body.append("<table><tr><th></th><th>image→text</th><th>text→image</th></tr>")
    for name, key in (("MAP", "map"), (f"P@{report.k}", "precision"), ("chance MAP", "chance")):
        i2t, t2i = getattr(report, f"{key}_image_to_text"), getattr(report, f"{key}_text_to_image")
        body.append(f"<tr><th>{_e(name)}</th><td>{i2t:.4f}</td><td>{t2i:.4f}</td></tr>")
    body.append("</table>")
    body.append("<h2>Precision–recall curves</h2>")
    body.append(_svg_curves(details.curves))
    for direction, examples in details.examples.items():
        body.append(f"<h2>Example queries, {_e(direction.replace('_to_', ' → '))} "
                    f"(chosen with seed {details.seed} before ranking)</h2>")
        for example in examples:
            body.append('<div class="query">')
            if direction == "text_to_image":
                body.append(f"<p><b>text:</b> {_e(example.text)}</p>")
            else:
                body.append(_img(thumbnail_uri(example.image), example.id))
            body.append(f"<p>id {_e(example.id)}, label {_e(example.label) if example.label else '—'}</p></div>")
            target = "images" if direction == "text_to_image" else "texts"
            body.extend(_hit_rows(example.hits, target, example.label, details.gallery_images))
    return _page(f"classicx evaluation{': ' + model if model else ''}", body)


def write_page(path: str | os.PathLike, page: str) -> Path:
    """Write an HTML page (UTF-8) and return its path.

    Raises
    ------
    ModelWriteError
        The file cannot be written (the message names it).
    """
    from ..exceptions import ModelWriteError

    path = Path(path).expanduser()
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ModelWriteError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
