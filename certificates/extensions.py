"""What higher apps plug into certificates (see ``training_platform/extensions.py``)."""

from training_platform.extensions import ExtensionPoint

#: ``fn(request, certificate)`` -> ``None`` (nothing to add), ``(title, html)`` with
#: ``html`` already rendered (a plain ``str`` is escaped, a ``SafeString`` kept), or
#: ``(title, rows)`` / ``(title, rows, headers)`` with ``rows`` a list of sequences of
#: cells: sections on the certificate page, e.g. the subsidy claims behind it.
record_sections = ExtensionPoint(
    "certificates.record_sections",
    "fn(request, certificate) -> None | (title, html) | (title, rows[, headers])",
)
