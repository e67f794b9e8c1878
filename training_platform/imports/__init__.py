"""The import pipeline: an uploaded spreadsheet, stored encrypted, read, checked,
previewed, confirmed, applied and cleaned up.

* ``kinds``: what one kind of import declares (``ImportKind``: its columns, plan and
  apply), and the ``Column`` / ``RowError`` it is described with;
* ``reading``: the xlsx → ``(row number, {column key: text})`` reader;
* ``models``: ``ImportJob``, the abstract job row (encrypted file, status, summary,
  progress), made concrete by the app that owns the import's target;
* ``services``: ``upload_store``, ``upload_preview``, ``upload_confirm``, ``upload_run``,
  ``upload_cleanup``, ``upload_error_rows``;
* ``views``: what every import screen shows the same way (the preview's people, the
  counts), for the templates ``training_platform/imports/_people.html`` and
  ``_summary.html``.
"""
