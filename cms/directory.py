"""Reads of the /bases/ directory on top of ``bases.selectors`` (the registry is the one
source of truth): bases and studios in one list, and every detail address for the
sitemap. Revoked bases and studios are left out, as the selectors leave them out.
"""

from bases.selectors import base_list_public, studio_list_public


def directory_entries(bases, studios) -> list:
    """Bases then studios of each region together (region code, then name); every item
    is marked with ``directory_kind`` ("base" or "studio")."""
    items = []
    for base in bases:
        base.directory_kind = "base"
        items.append(base)
    for studio in studios:
        studio.directory_kind = "studio"
        items.append(studio)
    items.sort(key=lambda item: (item.region_id, item.directory_kind, item.name))
    return items


def every_entry_pk() -> tuple[list[int], list[int]]:
    """Primary keys of every public base and studio (two queries)."""
    return (
        list(base_list_public().prefetch_related(None).values_list("pk", flat=True)),
        list(studio_list_public().values_list("pk", flat=True)),
    )
