"""Loading the reference data shipped in ``reference/data`` (copied from shared/reference)."""

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from training_platform.reference.models import (
    KeyGroup,
    Occupation,
    OccupationCategory,
    Region,
    RegionLevel,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
PROVINCE_CODE = "520000"
PROVINCE_NAME = "贵州省"

KEY_GROUPS = [
    ("poverty_alleviated", "脱贫劳动力"),
    ("relocated", "易地搬迁劳动力"),
    ("rural_migrant", "农村转移劳动力"),
    ("graduate", "高校毕业生"),
    ("school_leaver", "未继续升学初高中毕业生"),
    ("veteran", "退役军人"),
    ("unemployed", "失业人员"),
    ("hard_to_employ", "就业困难人员"),
    ("disabled", "残疾人"),
    ("returning_migrant", "返乡农民工"),
]


# The source JSON carries no S/L marks; these are the ones confirmed in docs/reference.md.
# The full lists (97 S, 134 L) are editable in the back-office.
DIGITAL_OCCUPATIONS = {"4-01-06-01", "4-01-06-02", "4-04-05-01"}
GREEN_OCCUPATIONS = {"5-05-01-02"}


@dataclass
class LoadSummary:
    regions: int
    occupation_categories: int
    occupations: int
    key_groups: int


def _upsert(model, rows, fields):
    model.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=[model._meta.pk.name],
        update_fields=fields,
        batch_size=500,
    )


def _regions():
    province = Region(
        code=PROVINCE_CODE, name=PROVINCE_NAME, level=RegionLevel.PROVINCE
    )
    prefectures = []
    with open(DATA_DIR / "gz_cities.csv", encoding="utf-8") as fh:
        for code4, name, _province in csv.reader(fh):
            prefectures.append(
                Region(
                    code=f"{code4}00",
                    name=name,
                    level=RegionLevel.PREFECTURE,
                    parent_id=PROVINCE_CODE,
                )
            )
    counties = []
    with open(DATA_DIR / "gz_areas.csv", encoding="utf-8") as fh:
        for code6, name, code4, _province in csv.reader(fh):
            counties.append(
                Region(
                    code=code6,
                    name=name,
                    level=RegionLevel.COUNTY,
                    parent_id=f"{code4}00",
                )
            )
    return [province], prefectures, counties


def _occupations():
    data = json.loads((DATA_DIR / "occupations_2022.json").read_text(encoding="utf-8"))
    categories = []
    for level, key in (
        ("major", "major_categories"),
        ("middle", "middle_categories"),
        ("minor", "minor_categories"),
    ):
        categories += [
            OccupationCategory(code=code, name=name.replace(" ", ""), level=level)
            for code, name in data[key].items()
        ]
    occupations = [
        Occupation(
            code=item["code"],
            name=item["name"].strip(),
            major_id=item["major"],
            middle_id=item["middle"],
            minor_id=item["minor"],
            is_digital=item["code"] in DIGITAL_OCCUPATIONS,
            is_green=item["code"] in GREEN_OCCUPATIONS,
        )
        for item in data["occupations"]
    ]
    return categories, occupations


@transaction.atomic
def reference_data_load() -> LoadSummary:
    """Create or update all reference rows; running it again changes nothing."""
    province, prefectures, counties = _regions()
    for level_rows in (province, prefectures, counties):
        _upsert(Region, level_rows, ["name", "level", "parent"])
    categories, occupations = _occupations()
    _upsert(OccupationCategory, categories, ["name", "level"])
    _upsert(
        Occupation,
        occupations,
        ["name", "major", "middle", "minor", "is_digital", "is_green"],
    )
    groups = [
        KeyGroup(code=c, name=n, sort_order=i) for i, (c, n) in enumerate(KEY_GROUPS)
    ]
    KeyGroup.objects.bulk_create(groups, ignore_conflicts=True)
    return LoadSummary(
        regions=Region.objects.count(),
        occupation_categories=OccupationCategory.objects.count(),
        occupations=Occupation.objects.count(),
        key_groups=KeyGroup.objects.count(),
    )
