"""Loaders for a user's own collection: a CSV/TSV table, or a folder per category."""

from __future__ import annotations

import csv
import io
import os
import threading
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from ..exceptions import DatasetError, EmptyInputError, InputError, MissingFileError, ParameterError, TextReadError
from ._containers import Dataset, Split, empty_split
from ..utils.documents import read_text
from ..utils.validation import MAX_TEXT_CHARS, check_choice
from ._files import IMAGE_EXTENSIONS, Problem, handle_problems
from ._wikipedia import load_wikipedia_layout

__all__ = ["load_csv", "load_folder", "load_dataset"]

_TEXT_FILE_SUFFIXES = (".txt", ".xml")
_SPLITS = ("train", "test")


def _resolve(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _looks_like_text_path(value: str) -> bool:
    return "\n" not in value and len(value) < 1024 and value.strip().lower().endswith(_TEXT_FILE_SUFFIXES)


def _check_test_size(test_size: float | int) -> None:
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float, np.integer, np.floating)):
        raise InputError(f"test_size must be a fraction in [0, 1) or a number of pairs; got {test_size!r}")
    if test_size < 0 or (isinstance(test_size, (float, np.floating)) and test_size >= 1):
        raise InputError(f"test_size must be a fraction in [0, 1) or a number of pairs; got {test_size!r}")


def _split_indices(
    n: int, labels: np.ndarray | None, test_size: float | int, random_state: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic train/test indices, stratified by label when every class can be split."""
    indices = np.arange(n)
    n_test = int(np.ceil(test_size * n)) if isinstance(test_size, (float, np.floating)) else int(test_size)
    if n_test == 0:
        return indices, indices[:0]
    if n_test >= n:
        raise InputError(f"test_size={test_size!r} leaves no training pair out of {n}")
    stratify = None
    if labels is not None and labels.ndim == 1:
        counts = np.bincount(labels)
        counts = counts[counts > 0]
        if counts.min() >= 2 and n_test >= len(counts) and n - n_test >= len(counts):
            stratify = labels
    train, test = train_test_split(indices, test_size=n_test, random_state=random_state, stratify=stratify)
    return np.sort(train), np.sort(test)


def _encode_labels(label_sets: list[list[str]]) -> tuple[np.ndarray, list[str]]:
    """Category indices (1-D) or, when any pair has several labels, a 0/1 indicator (2-D)."""
    categories = sorted({name for names in label_sets for name in names})
    position = {name: k for k, name in enumerate(categories)}
    if all(len(names) == 1 for names in label_sets):
        return np.array([position[names[0]] for names in label_sets], dtype=np.int64), categories
    indicator = np.zeros((len(label_sets), len(categories)), dtype=np.int64)
    for row, names in enumerate(label_sets):
        indicator[row, [position[name] for name in names]] = 1
    return indicator, categories


def _build(
    records: list[dict[str, Any]],
    split_names: list[str] | None,
    has_labels: bool,
    *,
    test_size: float | int,
    random_state: Any,
    name: str,
    description: str,
    skipped: list[str],
) -> Dataset:
    if has_labels:
        labels, categories = _encode_labels([r["labels"] for r in records])
    else:
        labels, categories = None, []
    split = Split(
        images=[r["image"] for r in records],
        texts=[r["text"] for r in records],
        labels=labels,
        ids=[r["id"] for r in records],
        image_ids=[r["image_id"] for r in records],
        descriptions=[r["description"] for r in records],
    )
    if split_names is not None:
        names = np.array(split_names)
        train, test = split.subset(names == "train"), split.subset(names == "test")
    else:
        train_idx, test_idx = _split_indices(len(split), labels, test_size, random_state)
        train, test = split.subset(train_idx), split.subset(test_idx)
    if not len(train):
        raise DatasetError(f"{name}: no pair is in the training split")
    if not len(test):
        test = empty_split(len(categories) if has_labels else None, multilabel=split.is_multilabel)
    return Dataset(train=train, test=test, categories=categories, name=name,
                   description=f"{description}: {len(train)} train / {len(test)} test pairs, "
                               f"{len(categories)} categories", skipped_ids=skipped)


def _sniff_delimiter(path: Path, header: str) -> str:
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    counts = {d: header.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


# csv.field_size_limit is process-wide: it is raised to MAX_TEXT_CHARS only while a file
# is parsed, under this lock, then restored.
_FIELD_LIMIT_LOCK = threading.Lock()


def _read_rows(path: Path, content: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """``(line, cells)`` of every record of a CSV text, ``line`` being where the record starts.

    The csv module reads the records itself (``newline=""``), so a quoted
    cell may hold line breaks and only ``\n``, ``\r`` and ``\r\n`` end a
    record: U+2028, form feeds and other characters that ``str.splitlines``
    would break at stay inside their cell. ``strict=True`` turns a quote that
    is never closed, or text after a closing quote, into an error instead of
    a cell that silently swallows the rest of the file.
    """
    rows: list[tuple[int, list[str]]] = []
    with _FIELD_LIMIT_LOCK:
        previous = csv.field_size_limit()
        csv.field_size_limit(MAX_TEXT_CHARS)
        reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)
        start = 1
        try:
            for cells in reader:
                if cells:  # a blank line is no record
                    rows.append((start, cells))
                start = reader.line_num + 1
        except csv.Error as exc:
            message = str(exc)
            if "field larger than field limit" in message:
                reason = (
                    f"a cell is longer than {MAX_TEXT_CHARS:,} characters, the limit of one text "
                    "(classicx.utils.validation.MAX_TEXT_CHARS), or a quote opened here is never closed"
                )
            elif "unexpected end of data" in message:
                reason = 'a quoted cell of the record starting on this line is never closed (an unmatched ")'
            else:
                reason = f"malformed CSV record ({message})"
            raise DatasetError(f"{path}, line {start}: {reason}") from None
        finally:
            csv.field_size_limit(previous)
    return rows


def _check_unique_ids(path: Path, ids: list[tuple[int, str]]) -> None:
    """Refuse a CSV whose id column repeats a value: results and skipped_ids name pairs by id."""
    counts = Counter(pair_id for _, pair_id in ids)
    repeated = [pair_id for pair_id, n in counts.items() if n > 1]
    if not repeated:
        return
    lines = defaultdict(list)
    for line, pair_id in ids:
        if counts[pair_id] > 1:
            lines[pair_id].append(line)
    listing = "; ".join(f"{pair_id!r} on lines {', '.join(map(str, lines[pair_id][:5]))}"
                        + (" ..." if len(lines[pair_id]) > 5 else "") for pair_id in repeated[:10])
    more = f"; and {len(repeated) - 10} more" if len(repeated) > 10 else ""
    raise DatasetError(
        f"{path}: the id column must name each pair once, but {len(repeated)} id(s) repeat: {listing}{more} "
        "(fix the ids, or pass id_column=None to number the rows instead)"
    )


def load_csv(
    path: str | os.PathLike,
    *,
    image_column: str = "image",
    text_column: str = "text",
    label_column: str | None = "label",
    split_column: str | None = "split",
    id_column: str | None = "id",
    delimiter: str | None = None,
    label_separator: str = "|",
    text_is_path: bool | str = "auto",
    on_error: str = "raise",
    test_size: float | int = 0.25,
    random_state: Any = 0,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> Dataset:
    """Load image-text pairs listed in a CSV or TSV file.

    One row per pair. The image column holds a path relative to the CSV
    file's folder or absolute; the text column holds the text itself or a
    path to a ``.txt``/``.xml`` file; an optional label column holds one
    category name or several separated by ``label_separator``; an optional
    split column holds ``train`` or ``test``.

    **Paths may point anywhere.** Image and text paths are taken as written:
    ``../photos/x.jpg``, ``/data/x.jpg`` and ``~/x.txt`` are all read. A CSV
    file is trusted like any file of the user's own (see the README's threat
    model); load a CSV from someone else only after reading which files it names.

    Records are read by the :mod:`csv` module: quoted cells may hold
    delimiters, quotes (doubled) and line breaks; only ``\n``, ``\r`` and
    ``\r\n`` end a record (U+2028 or a form feed inside a cell stays in it).
    A quote that is never closed is an error naming the line where its
    record starts. A cell may hold up to
    :data:`~classicx.utils.validation.MAX_TEXT_CHARS` (ten million) characters.
    The values of the id column must be unique.

    Parameters
    ----------
    path : str or path-like
        The CSV/TSV file (UTF-8, with a header row).
    image_column, text_column : str
        Names of the required image and text columns.
    label_column, split_column, id_column : str or None
        Names of the optional label, split and pair-id columns. ``None``
        ignores the column; when the file has no column of the default name
        (``"label"``, ``"split"``, ``"id"``) it is treated as absent, while a
        non-default name that is missing raises :class:`DatasetError`.
    delimiter : str or None
        Field separator, one character; ``None`` uses a tab for
        ``.tsv``/``.tab`` files and otherwise the most frequent of ``,``, tab
        and ``;`` in the header.
    label_separator : str
        Separator of several labels in one cell. When any row has more than
        one label, ``labels`` is a 2-D 0/1 indicator array; otherwise 1-D indices.
    text_is_path : {"auto", True, False}
        ``"auto"`` reads a text cell as a file path when it is one line ending
        in ``.txt`` or ``.xml``; ``True`` always; ``False`` never.
    on_error : {"raise", "skip"}
        What to do with rows whose image or text file is missing, or whose
        image, text or label is empty: raise one error listing them all
        (default), or skip them with a
        :class:`~classicx.exceptions.SkippedItemsWarning` and record their ids
        in ``Dataset.skipped_ids``.
    test_size : float or int
        Without a split column, the fraction (or number) of pairs put in the
        test split, chosen deterministically from ``random_state`` and
        stratified by label when possible; ``0`` keeps everything in train.
    random_state : int, RandomState or None
        Seed of that split.
    encoding, errors : str
        Decoding of text files named in the text column.

    Returns
    -------
    Dataset
        ``images`` are file paths (not read); ``categories`` the sorted label
        names; ``ids`` the id column or the 0-based data row index;
        ``image_ids`` and ``descriptions`` the image cell as written.

    Raises
    ------
    DatasetError
        Missing or repeated columns, a malformed record (an unclosed quote),
        a cell above the length limit, repeated ids, unknown split values, a
        file without rows, or (with ``on_error="raise"``) unusable rows — each
        named by its line number.
    ParameterError
        A delimiter that is not one character (or is a quote or line break).
    MissingFileError
        The CSV file, or (with ``on_error="raise"``) files it names, do not exist.
    TextReadError
        A text file cannot be decoded.

    See Also
    --------
    load_folder, load_wikipedia_layout, load_dataset

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from classicx.datasets import load_csv
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = pathlib.Path(tmp.name)
    >>> for name in ("a.jpg", "b.jpg", "c.jpg"):
    ...     _ = (root / name).write_bytes(b"")
    >>> _ = (root / "pairs.csv").write_text(
    ...     "image,text,label,split\\n"
    ...     "a.jpg,a red bus,vehicle,train\\n"
    ...     "b.jpg,a cat on a bus,animal|vehicle,train\\n"
    ...     "c.jpg,a dog,animal,test\\n")
    >>> data = load_csv(root / "pairs.csv")
    >>> data.categories, data.train.labels.tolist(), data.test.texts
    (['animal', 'vehicle'], [[0, 1], [1, 1]], ['a dog'])
    >>> tmp.cleanup()
    """
    check_choice(on_error, ("raise", "skip"), "on_error")
    if not (text_is_path == "auto" or isinstance(text_is_path, bool)):
        raise ParameterError(
            f"The 'text_is_path' parameter must be 'auto', True or False. Got {text_is_path!r} instead."
        )
    if not label_separator:
        raise ParameterError("The 'label_separator' parameter must be a non-empty string.")
    _check_test_size(test_size)
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n'):
        raise ParameterError(
            "The 'delimiter' parameter must be one character other than a quote or a line break "
            f"(',', '\\t', ';', ...) or None. Got {delimiter!r} instead."
        )
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise MissingFileError(f"CSV file not found: {path}")
    base = path.parent
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TextReadError(f"cannot read CSV file {path} ({exc.strerror or exc})") from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise TextReadError(
            f"cannot decode CSV file {path} as UTF-8 (line {line}, byte {exc.start}: {exc.reason}); "
            "save it as UTF-8"
        ) from None
    if not content.strip():
        raise DatasetError(f"CSV file {path} is empty")
    if delimiter is None:
        delimiter = _sniff_delimiter(path, content.split("\n", 1)[0])
    records_read = _read_rows(path, content, delimiter)
    if not records_read:
        raise DatasetError(f"CSV file {path} is empty")
    columns = records_read[0][1]
    doubled = sorted({c for c in columns if columns.count(c) > 1})
    if doubled:
        raise DatasetError(f"CSV file {path}: the header names column(s) {doubled} more than once")
    defaults = {"label_column": "label", "split_column": "split", "id_column": "id"}
    optional = {"label_column": label_column, "split_column": split_column, "id_column": id_column}
    for name, column in (("image_column", image_column), ("text_column", text_column)):
        if column not in columns:
            raise DatasetError(f"CSV file {path} has no {name} {column!r}; its columns are {columns}")
    for key, column in list(optional.items()):
        if column is not None and column not in columns:
            if column != defaults[key]:
                raise DatasetError(f"CSV file {path} has no {key} {column!r}; its columns are {columns}")
            optional[key] = None
    label_column, split_column, id_column = (optional[k] for k in ("label_column", "split_column", "id_column"))

    records: list[dict[str, Any]] = []
    split_names: list[str] = []
    problems: list[Problem] = []
    ids: list[tuple[int, str]] = []
    for index, (line, cells) in enumerate(records_read[1:]):
        if len(cells) > len(columns):
            raise DatasetError(f"{path}, line {line}: more fields than the {len(columns)} columns of the header")
        # A short record leaves its last columns empty, as csv.DictReader does.
        row = dict(zip(columns, cells + [""] * (len(columns) - len(cells))))
        pair_id = (row[id_column] or "").strip() if id_column else str(index)
        ids.append((line, pair_id))
        where = f"line {line}"

        split_name = "train"
        if split_column:
            split_name = (row[split_column] or "").strip().lower()
            if split_name not in _SPLITS:
                raise DatasetError(f"{path}, line {line}: split {row[split_column]!r} is not 'train' or 'test'")
        image_cell = (row[image_column] or "").strip()
        if not image_cell:
            problems.append(Problem(where, pair_id, str(path), "empty image cell"))
            continue
        image_path = _resolve(base, image_cell)
        if not image_path.is_file():
            problems.append(Problem(where, pair_id, str(image_path), "missing image file"))
            continue
        text_cell = row[text_column] or ""
        as_path = text_is_path is True or (text_is_path == "auto" and _looks_like_text_path(text_cell))
        text_file = str(path)
        if as_path:
            text_path = _resolve(base, text_cell.strip())
            text_file = str(text_path)
            if not text_path.is_file():
                problems.append(Problem(where, pair_id, text_file, "missing text file"))
                continue
            text = read_text(text_path, encoding=encoding, errors=errors)
        else:
            text = text_cell
        if not text.strip():
            problems.append(Problem(where, pair_id, text_file, "empty text"))
            continue
        labels: list[str] = []
        if label_column:
            labels = sorted({part.strip() for part in (row[label_column] or "").split(label_separator)} - {""})
            if not labels:
                problems.append(Problem(where, pair_id, str(path), "empty label"))
                continue
        records.append(dict(image=str(image_path), text=text, labels=labels, id=pair_id,
                            image_id=image_cell, description=image_cell))
        split_names.append(split_name)
    if not records and not problems:
        raise EmptyInputError(f"CSV file {path} has a header but no rows")
    if id_column:
        _check_unique_ids(path, ids)
    skipped = handle_problems(problems, on_error, path)
    if not records:
        raise DatasetError(f"no row of {path} could be loaded")
    return _build(records, split_names if split_column else None, label_column is not None,
                  test_size=test_size, random_state=random_state, name=path.stem,
                  description=f"collection {path}", skipped=skipped)


def load_folder(
    path: str | os.PathLike,
    *,
    test_size: float | int = 0.25,
    random_state: Any = 0,
    on_error: str = "raise",
    encoding: str = "utf-8",
    errors: str = "strict",
) -> Dataset:
    """Load a folder-per-category collection of images with same-named text files.

    Layout::

        root/<category>/<name>.jpg     (any of IMAGE_EXTENSIONS)
        root/<category>/<name>.txt     (or <name>.xml), the text paired with that image

    Categories are the sub-folder names in sorted order. A folder with no
    sub-folders at all is read as one unlabelled collection (``labels=None``).
    The train/test split is drawn deterministically from ``random_state``,
    stratified by category when every category has at least two pairs.

    Parameters
    ----------
    path : str or path-like
        The root folder.
    test_size : float or int
        Fraction (or number) of pairs in the test split; ``0`` keeps all in train.
    random_state : int, RandomState or None
        Seed of the split.
    on_error : {"raise", "skip"}
        What to do with an image without a text file, a text file without an
        image, two images sharing a name, an empty text, or a pair lying
        outside the category folders: raise one error listing them all
        (default), or skip them with a :class:`~classicx.exceptions.SkippedItemsWarning`
        and record their ids in ``Dataset.skipped_ids``.
    encoding, errors : str
        Decoding of the text files.

    Returns
    -------
    Dataset
        ``images`` are file paths (not read); ``ids`` and ``image_ids`` are
        ``"<category>/<name>"``; ``descriptions`` the image path relative to
        ``path``.

    See Also
    --------
    load_csv, load_wikipedia_layout, load_dataset

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from classicx.datasets import load_folder
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = pathlib.Path(tmp.name)
    >>> for cat, name, text in [("cats", "c1", "a cat"), ("cats", "c2", "two cats"),
    ...                         ("dogs", "d1", "a dog"), ("dogs", "d2", "a puppy")]:
    ...     (root / cat).mkdir(exist_ok=True)
    ...     _ = (root / cat / f"{name}.jpg").write_bytes(b"")
    ...     _ = (root / cat / f"{name}.txt").write_text(text)
    >>> data = load_folder(root, test_size=0.5, random_state=0)
    >>> data.categories, len(data.train), sorted(data.test.labels.tolist())
    (['cats', 'dogs'], 2, [0, 1])
    >>> tmp.cleanup()
    """
    check_choice(on_error, ("raise", "skip"), "on_error")
    _check_test_size(test_size)
    root = Path(path).expanduser().resolve()
    if not root.is_dir():
        raise MissingFileError(f"collection folder not found: {root}")
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    labelled = bool(subdirs)
    folders = subdirs if labelled else [root]
    categories = [p.name for p in subdirs]
    problems: list[Problem] = []
    records: list[dict[str, Any]] = []
    if labelled:
        for stray in sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS):
            problems.append(Problem("folder", stray.stem, str(stray), "image outside any category folder"))
    for label, folder in enumerate(folders):
        images: dict[str, list[Path]] = defaultdict(list)
        texts: dict[str, list[Path]] = defaultdict(list)
        for file in sorted(folder.iterdir()):
            if not file.is_file() or file.name.startswith("."):
                continue
            suffix = file.suffix.lower()
            if suffix in IMAGE_EXTENSIONS:
                images[file.stem].append(file)
            elif suffix in _TEXT_FILE_SUFFIXES:
                texts[file.stem].append(file)
        for stem in sorted(images.keys() | texts.keys()):
            item_id = f"{folder.name}/{stem}" if labelled else stem
            if stem not in images:
                problems.append(Problem("folder", item_id, str(texts[stem][0]), "text file without an image"))
                continue
            if len(images[stem]) > 1:
                problems.append(Problem("folder", item_id, ", ".join(map(str, images[stem])),
                                        "several images share this name"))
                continue
            if stem not in texts:
                problems.append(Problem("folder", item_id, str(images[stem][0]),
                                        "image without a text file (<name>.txt or <name>.xml)"))
                continue
            if len(texts[stem]) > 1:
                problems.append(Problem("folder", item_id, ", ".join(map(str, texts[stem])),
                                        "several text files share this name"))
                continue
            text = read_text(texts[stem][0], encoding=encoding, errors=errors)
            if not text.strip():
                problems.append(Problem("folder", item_id, str(texts[stem][0]), "empty text file"))
                continue
            image = images[stem][0]
            records.append(dict(image=str(image), text=text, labels=[folder.name], id=item_id,
                                image_id=item_id, description=image.relative_to(root).as_posix()))
    if not records and not problems:
        raise EmptyInputError(f"collection folder {root} holds no image-text pairs")
    skipped = handle_problems(problems, on_error, root)
    if not records:
        raise DatasetError(f"no pair of {root} could be loaded")
    dataset = _build(records, None, labelled, test_size=test_size, random_state=random_state,
                     name=root.name, description=f"folder collection {root}", skipped=skipped)
    if labelled:
        # Categories come from the folders, including any whose pairs were all skipped.
        position = {name: k for k, name in enumerate(categories)}
        for split in (dataset.train, dataset.test):
            split.labels = np.array([position[dataset.categories[k]] for k in split.labels], dtype=np.int64)
        dataset.categories = categories
    return dataset


def load_dataset(path: str | os.PathLike, **kwargs: Any) -> Dataset:
    """Load a collection, choosing the loader from what ``path`` is.

    - a directory holding ``trainset_txt_img_cat.list`` → :func:`load_wikipedia_layout`;
    - a ``.csv``, ``.tsv`` or ``.tab`` file → :func:`load_csv`;
    - any other directory → :func:`load_folder`.

    Parameters
    ----------
    path : str or path-like
        The collection.
    **kwargs
        Passed to the chosen loader.

    Returns
    -------
    Dataset

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from classicx.datasets import load_dataset
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = pathlib.Path(tmp.name)
    >>> _ = (root / "x.png").write_bytes(b"")
    >>> _ = (root / "pairs.tsv").write_text("image\\ttext\\nx.png\\ta photo\\n")
    >>> load_dataset(root / "pairs.tsv", test_size=0).train.texts
    ['a photo']
    >>> tmp.cleanup()
    """
    path = Path(path).expanduser()
    if path.is_dir():
        if (path / "trainset_txt_img_cat.list").is_file():
            return load_wikipedia_layout(path, **kwargs)
        return load_folder(path, **kwargs)
    if path.is_file():
        if path.suffix.lower() in (".csv", ".tsv", ".tab"):
            return load_csv(path, **kwargs)
        raise DatasetError(
            f"cannot tell how to load {path}: expected a .csv/.tsv file, a folder in the Wikipedia "
            f"layout (with trainset_txt_img_cat.list) or a folder per category"
        )
    raise MissingFileError(f"dataset not found: {path}")
