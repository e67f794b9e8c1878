"""Reading an uploaded xlsx into rows: the hostile-file guard (``training_platform.xlsx``),
the header found by its aliases, the columns mapped to keys."""

from collections.abc import Callable, Iterator

from training_platform import xlsx

Rows = Iterator[tuple[int, dict[str, str]]]


def read_table(
    fileobj,
    columns,
    *,
    limits: xlsx.Limits = xlsx.DEFAULT_LIMITS,
    skip: Callable[[dict], bool] | None = None,
    skipped: list | None = None,
    extra: Callable[[list], dict[str, int]] | None = None,
) -> Rows:
    """Rows of an xlsx file as ``(row number, {column key: text})`` for ``columns``.

    The file is checked (container, size, rows, columns) and the header found before the
    first row is yielded; a refused file raises ``XlsxRefused`` with a Chinese message.
    Rows for which ``skip`` is true (e.g. a template's sample row) are left out; given
    a ``skipped`` list, they are appended to it as ``(row number, cells)`` so a preview
    can name them. ``extra`` maps the header row's cells to further ``{key: index}``
    for columns a file names itself (e.g. one per judge); fixed columns come first.
    """
    header_rows: dict[int, list] = {}
    source = xlsx.iter_rows(fileobj, limits)
    if extra is not None:
        source = _remembering(source, header_rows)
    header_row, found, data = xlsx.find_header(
        source,
        aliases={c.key: {c.header, *c.aliases} for c in columns},
        required={c.key for c in columns if c.required},
    )
    if extra is not None:
        taken = set(found.values())
        for key, index in extra(header_rows.get(header_row) or []).items():
            if index not in taken and key not in found:
                found[key] = index
        header_rows.clear()
    return _rows(data, found, skip, skipped)


def _remembering(rows, kept: dict[int, list], limit: int = 20):
    """Pass ``rows`` on, keeping the first ``limit`` non-empty ones (the header is
    among them) in ``kept``."""
    for number, values in rows:
        if len(kept) < limit and any(xlsx.cell_text(v) for v in values):
            kept[number] = values
        yield number, values


def _rows(data, columns: dict[str, int], skip, skipped=None) -> Rows:
    keys = tuple(columns.items())
    cell_text = xlsx.cell_text
    for number, values in data:
        width = len(values)
        row = {}
        for key, index in keys:
            value = values[index] if index < width else ""
            # ASCII text as cell_text has it, without the call (most ID and phone cells).
            if value.__class__ is str and value.isascii():
                row[key] = value.strip()
            else:
                row[key] = cell_text(value)
        if skip is not None and skip(row):
            if skipped is not None:
                skipped.append((number, row))
            continue
        yield number, row


def nonblank(rows) -> list[tuple[int, dict[str, str]]]:
    """The rows with at least one cell filled in."""
    return [(n, cells) for n, cells in rows if any(cells.values())]
