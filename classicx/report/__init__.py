"""classicx.report: results a person can read and look at.

- :func:`shorten`, :func:`display_width` — one-line text cut by display width
  (CJK characters take two columns), for terminal output.
- :func:`search_page`, :func:`evaluation_page`, :func:`write_page` —
  self-contained HTML pages (thumbnails as data URIs, inline SVG curves).
- :func:`evaluation_details` — an evaluation with its precision-recall curves
  and example queries chosen from a seed.
- :func:`plot_precision_recall` — the curves as an image file (``plot`` extra).

The ``classicx`` command's ``--html`` and ``--plot`` options use them.
"""

from ._evaluation import EvaluationDetails, Example, evaluation_details, pick_examples
from ._html import evaluation_page, search_page, thumbnail_uri, write_page
from ._plot import plot_precision_recall
from ._text import display_width, shorten

__all__ = [
    "display_width",
    "shorten",
    "thumbnail_uri",
    "search_page",
    "evaluation_page",
    "write_page",
    "Example",
    "EvaluationDetails",
    "evaluation_details",
    "pick_examples",
    "plot_precision_recall",
]
