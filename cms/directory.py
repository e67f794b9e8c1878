"""Reads of the /bases/ directory: the bases and studios of the ``bases`` registry
(the one source of truth) with what the public page needs, in a fixed number of
queries. The editors' narrative and photos (cms.RegistryProfile) are looked up here too.
"""

from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404

from bases.models import SkillMasterStudio, TrainingBase
from training_platform.reference.models import Occupation


def base_list_public():
    return TrainingBase.objects.select_related(
        "region", "region__parent", "host"
    ).order_by("region_id", "name", "pk")


def studio_list_public():
    return SkillMasterStudio.objects.select_related(
        "region", "region__parent", "host", "occupation"
    ).order_by("region_id", "name", "pk")


def base_for_page(pk: int) -> TrainingBase:
    try:
        return (
            base_list_public()
            .prefetch_related(
                Prefetch("occupations", queryset=Occupation.objects.order_by("code"))
            )
            .get(pk=pk)
        )
    except TrainingBase.DoesNotExist:
        raise Http404("没有这个培训基地。") from None


def studio_for_page(pk: int) -> SkillMasterStudio:
    try:
        return studio_list_public().get(pk=pk)
    except SkillMasterStudio.DoesNotExist:
        raise Http404("没有这个技能大师工作室。") from None


def directory_entries(bases, studios) -> list:
    """Bases then studios in one list, each region's together (region code, then name);
    every item is marked with ``directory_kind`` ("base" or "studio")."""
    items = []
    for base in bases:
        base.directory_kind = "base"
        items.append(base)
    for studio in studios:
        studio.directory_kind = "studio"
        items.append(studio)
    items.sort(key=lambda item: (item.region_id, item.directory_kind, item.name))
    return items


def with_occupations(items) -> None:
    """Attach the occupations of the bases among ``items`` (one query)."""
    bases = [item for item in items if item.directory_kind == "base"]
    prefetch_related_objects(
        bases, Prefetch("occupations", queryset=Occupation.objects.order_by("code"))
    )


def every_entry_pk() -> tuple[list[int], list[int]]:
    return (
        list(TrainingBase.objects.order_by("pk").values_list("pk", flat=True)),
        list(SkillMasterStudio.objects.order_by("pk").values_list("pk", flat=True)),
    )
