"""Loader for the Wikipedia cross-modal layout (Rasiwasia et al., 2010)."""

from __future__ import annotations

import logging
import os
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from ..exceptions import DatasetError, MissingFileError, TextReadError
from ._containers import Dataset, Split
from ..utils.documents import DOCUMENT_FORMATS, read_text
from ..utils.validation import check_choice
from ._files import IMAGE_EXTENSIONS, Problem, handle_problems

__all__ = ["load_wikipedia_layout"]

logger = logging.getLogger(__name__)

_LIST_FILES = {"train": "trainset_txt_img_cat.list", "test": "testset_txt_img_cat.list"}


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _list_lines(path: Path, encoding: str) -> list[str]:
    """Lines of a list file: UTF-8 (a byte-order mark is dropped), else ``encoding``.

    Lines end at ``\n``, ``\r`` or ``\r\n`` only, not at the other characters
    :meth:`str.splitlines` breaks at (U+2028, form feed), which may be part of a name.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TextReadError(f"cannot read list file {path} ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fallback = None
        if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            try:
                fallback = raw.decode(encoding)
            except (UnicodeDecodeError, LookupError):
                fallback = None
        if fallback is None:
            line = raw[: exc.start].count(b"\n") + 1
            raise TextReadError(
                f"{path}, line {line}: cannot decode the list file as UTF-8 (byte {exc.start}: {exc.reason}); "
                "save it as UTF-8, or pass the encoding of the collection (encoding='gbk', ...)"
            ) from None
        text = fallback
    return _LINE_BREAK.split(text)


def _read_categories(path: Path, encoding: str) -> list[str]:
    if not path.is_file():
        raise MissingFileError(f"category list not found: {path}")
    categories = [line.strip() for line in _list_lines(path, encoding) if line.strip()]
    if not categories:
        raise DatasetError(f"category list {path} is empty")
    return categories


def _check_id(path: Path, number: int, kind: str, value: str) -> None:
    """Refuse an id that is not a plain relative name inside its folder (``../x``, ``/etc/x``, NUL)."""
    parts = Path(value).parts
    if not value or "\x00" in value or Path(value).is_absolute() or ".." in parts or value.startswith("~"):
        raise DatasetError(
            f"{path}, line {number}: {kind} id {value!r} is not a name inside the collection's "
            f"{'texts' if kind == 'text' else 'images'}/ folder (absolute paths, '..' and '~' are refused)"
        )


def _read_list(path: Path, n_categories: int, encoding: str) -> list[tuple[str, str, int, int]]:
    """Rows ``(text_id, image_id, label, line_number)`` of a split list, labels made 0-based."""
    if not path.is_file():
        raise MissingFileError(f"split list not found: {path}")
    rows = []
    for number, line in enumerate(_list_lines(path, encoding), start=1):
        if not line.strip():
            continue
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) != 3:
            fields = line.split()
        if len(fields) != 3:
            raise DatasetError(
                f"{path}, line {number}: expected 'text_id<TAB>image_id<TAB>label', got {line!r}"
            )
        text_id, image_id, label_field = (f.strip() for f in fields)
        _check_id(path, number, "text", text_id)
        _check_id(path, number, "image", image_id)
        try:
            label = int(label_field)
        except ValueError:
            raise DatasetError(f"{path}, line {number}: label {label_field!r} is not an integer") from None
        if not 1 <= label <= n_categories:
            raise DatasetError(
                f"{path}, line {number}: label {label} is outside 1..{n_categories} "
                f"(labels in the list files are 1-based line numbers of categories.list)"
            )
        rows.append((text_id, image_id, label - 1, number))
    return rows


def _index_images(images_dir: Path) -> dict[str, list[Path]]:
    """Map image id → files, scanning the image folders once.

    The id is the file name without extension and surrounding spaces, because
    some real collections carry a stray space before the extension (``22 .jpg``).
    """
    if not images_dir.is_dir():
        raise MissingFileError(f"image folder not found: {images_dir}")
    index: dict[str, list[Path]] = defaultdict(list)
    for dirpath, _, filenames in os.walk(images_dir):
        for name in filenames:
            stem, ext = os.path.splitext(name)
            if ext.lower() in IMAGE_EXTENSIONS:
                index[stem.strip()].append(Path(dirpath) / name)
    return index


def _pick_image(candidates: list[Path], category: str) -> Path:
    """Choose among files sharing an id: the one in the row's category folder, then an exact name."""
    if len(candidates) == 1:
        return candidates[0]
    return min(candidates, key=lambda p: (p.parent.name != category, p.stem != p.stem.strip(), str(p)))


def _find_text(texts_dir: Path, text_id: str, text_format: str) -> Path:
    extensions = {"auto": (".txt", ".xml"), "txt": (".txt",), "xml": (".xml",)}[text_format]
    for ext in extensions:
        candidate = texts_dir / f"{text_id}{ext}"
        if candidate.is_file():
            return candidate
    return texts_dir / f"{text_id}{extensions[0]}"


def load_wikipedia_layout(
    path: str | os.PathLike,
    *,
    on_error: str = "raise",
    text_format: str = "auto",
    encoding: str = "utf-8",
    errors: str = "strict",
) -> Dataset:
    """Load a collection stored in the layout of the Wikipedia cross-modal dataset.

    The layout (Rasiwasia et al., 2010)::

        categories.list               one category name per line; line i (1-based) is label i
        trainset_txt_img_cat.list     text_id<TAB>image_id<TAB>label, one pair per line
        testset_txt_img_cat.list      same, for the test split
        texts/<text_id>.txt|.xml      the text of each pair
        images/<category>/<image_id>.<ext>

    Image ids are matched to files by scanning ``images/`` once; file names
    with spaces before the extension (``22 .jpg``) match id ``22``. Files no
    list names are ignored. Ids are names inside ``texts/`` and ``images/``:
    an absolute id, or one with ``..`` or ``~`` (``../../secret``), is a
    :class:`DatasetError`, and so is a file that is a link leading out of
    its folder (a collection may come from someone else; see the README's
    threat model). The list files are UTF-8; one that does not decode as
    UTF-8 is decoded with ``encoding`` when that is another encoding, else a
    :class:`TextReadError` names the file and line. Text files are ``.txt`` (read with ``encoding``)
    or XML documents whose ``<text>`` element holds the text; malformed XML
    (e.g. an unescaped ``&``) is read with a tolerant fallback.

    Parameters
    ----------
    path : str or path-like
        The collection directory.
    on_error : {"raise", "skip"}
        What to do with pairs whose image or text file is missing or whose
        text is empty. ``"raise"`` (default) raises one error listing every
        such pair by split, id and path; ``"skip"`` leaves them out with a
        :class:`~classicx.exceptions.SkippedItemsWarning` that counts and lists
        them, and records their ids in ``Dataset.skipped_ids``.
    text_format : {"auto", "txt", "xml"}
        ``"auto"`` looks for ``texts/<id>.txt``, then ``texts/<id>.xml``.
    encoding, errors : str
        Passed to :meth:`bytes.decode` for every text file; ``encoding`` is
        also the fallback of list files that are not UTF-8.

    Returns
    -------
    Dataset
        ``images`` are absolute file paths (not read); ``texts`` the loaded
        text; ``labels`` 0-based category indices (the list files count from
        1); ``ids`` the text ids, ``image_ids`` the image ids and
        ``descriptions`` the image paths relative to ``path``.

    Raises
    ------
    MissingFileError
        A list file, ``images/`` or (with ``on_error="raise"``) a pair's file is missing.
    DatasetError
        A list row is malformed, its label is out of range, or an id or a link
        leads outside ``texts/`` or ``images/``.
    TextReadError
        A text file cannot be decoded with ``encoding``, or a list file neither
        as UTF-8 nor with ``encoding``.

    See Also
    --------
    load_csv, load_folder, load_dataset

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from classicx.datasets import load_wikipedia_layout
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = pathlib.Path(tmp.name)
    >>> _ = (root / "categories.list").write_text("art\\nsport\\n")
    >>> _ = (root / "trainset_txt_img_cat.list").write_text("t1\\ti1\\t1\\nt2\\ti2\\t2\\n")
    >>> _ = (root / "testset_txt_img_cat.list").write_text("t3\\ti3\\t2\\n")
    >>> (root / "texts").mkdir()
    >>> for t in ("t1", "t2", "t3"):
    ...     _ = (root / "texts" / f"{t}.txt").write_text(f"text {t}")
    >>> for folder, i in (("art", "i1"), ("sport", "i2"), ("sport", "i3 ")):
    ...     (root / "images" / folder).mkdir(parents=True, exist_ok=True)
    ...     _ = (root / "images" / folder / f"{i}.jpg").write_bytes(b"")
    >>> data = load_wikipedia_layout(root)
    >>> data.train.labels.tolist(), data.test.texts, data.test.descriptions
    ([0, 1], ['text t3'], ['images/sport/i3 .jpg'])
    >>> tmp.cleanup()
    """
    check_choice(on_error, ("raise", "skip"), "on_error")
    check_choice(text_format, DOCUMENT_FORMATS, "text_format")
    root = Path(path).expanduser().resolve()
    if not root.is_dir():
        raise MissingFileError(f"dataset directory not found: {root}")
    categories = _read_categories(root / "categories.list", encoding)
    lists = {split: _read_list(root / name, len(categories), encoding) for split, name in _LIST_FILES.items()}
    if not lists["train"]:
        raise DatasetError(f"training list {root / _LIST_FILES['train']} has no rows")
    image_index = _index_images(root / "images")
    texts_dir = root / "texts"

    problems: list[Problem] = []
    found: dict[str, list[tuple[str, str, int, Path, str]]] = {}
    used_images: set[str] = set()
    for split, rows in lists.items():
        found[split] = []
        for text_id, image_id, label, _ in rows:
            candidates = image_index.get(image_id)
            text_path = _find_text(texts_dir, text_id, text_format)
            if not candidates:
                problems.append(Problem(split, text_id, str(root / "images" / categories[label] / f"{image_id}.jpg"),
                                        f"missing image {image_id!r}"))
                continue
            if not text_path.is_file():
                problems.append(Problem(split, text_id, str(text_path), "missing text file"))
                continue
            image_path = _pick_image(candidates, categories[label])
            # A link inside texts/ or images/ must not lead out of them (a collection from
            # someone else could otherwise read any file of the user's).
            for file, folder in ((text_path, texts_dir), (image_path, root / "images")):
                if not file.resolve().is_relative_to(folder.resolve()):
                    raise DatasetError(
                        f"{root}: {split} pair {text_id!r}: {file} leads outside {folder} "
                        f"(to {file.resolve()}); links out of the collection's folders are refused"
                    )
            text = read_text(text_path, format=text_format, encoding=encoding, errors=errors)
            if not text.strip():
                problems.append(Problem(split, text_id, str(text_path), "empty text file"))
                continue
            used_images.add(image_id)
            found[split].append((text_id, image_id, label, image_path, text))
    skipped = handle_problems(problems, on_error, root)
    unused = len(image_index.keys() - used_images)
    if unused:
        logger.info("%d image id(s) under %s are named by no list row and were ignored", unused, root / "images")

    def make_split(items: list[tuple[str, str, int, Path, str]]) -> Split:
        return Split(
            images=[str(p) for _, _, _, p, _ in items],
            texts=[t for *_, t in items],
            labels=np.array([label for _, _, label, _, _ in items], dtype=np.int64),
            ids=[t for t, *_ in items],
            image_ids=[i for _, i, *_ in items],
            descriptions=[p.relative_to(root).as_posix() for _, _, _, p, _ in items],
        )

    train, test = make_split(found["train"]), make_split(found["test"])
    if not len(train):
        raise DatasetError(f"no pair of the training list of {root} could be loaded")
    return Dataset(
        train=train,
        test=test,
        categories=categories,
        name=root.name,
        description=(f"Wikipedia-layout collection {root}: {len(train)} train / {len(test)} test pairs, "
                     f"{len(categories)} categories"),
        skipped_ids=skipped,
    )
