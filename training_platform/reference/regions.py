"""Finding a Guizhou division from what an office writes (户籍地 in a roster, …).

Offices write a division many ways: the full name (``威宁彝族回族苗族自治县``), the short
one (``威宁县``, ``威宁``, ``黔东南州``, ``凯里``), the 6-digit code, the name with its
prefecture or province in front (``贵州省贵阳市南明区``, ``黔东南州凯里市``), or a name the
division had before it was renamed (``遵义县`` is 播州区 since 2016). ``region_resolve``
accepts all of them and fails only where a text is unknown or names more than one
division (the error then says which).

Names are tried from the most to the least certain: full names and codes, then former
names and codes (``data/gz_region_aliases.csv``, sources in docs/reference.md), then
short forms. A text that matches at one rank is never looked up at a lower one, so
``遵义`` is 遵义市 and ``毕节市`` the prefecture, whatever a short form elsewhere says.

The resolver is built from the Region table once per process (a few hundred names) and
rebuilt when a Region is saved or deleted here; other processes see such an edit after
a restart, as they see a new ``load_reference``. Regions it returns are shared: read them,
never change them.
"""

import csv
import re
import threading
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from training_platform.reference.models import Region, RegionLevel
from training_platform.reference.services import DATA_DIR
from training_platform.validators import normalize

ALIASES_FILE = "gz_region_aliases.csv"
PROVINCE_PREFIXES = ("贵州省", "贵州")
# The ethnic groups named in Guizhou's autonomous prefectures and counties.
ETHNIC_GROUPS = ("布依族", "仡佬族", "土家族", "苗族", "侗族", "彝族", "回族", "水族")
_SUFFIXES = ("特区", "县", "市", "区")
# Ranks, most certain first.
FULL, FORMER, SHORT = 0, 1, 2
_LONG_DIGITS = re.compile(r"\d{7,}")


class RegionUnresolved(ValidationError):
    """A text that names no division (``code="unknown"``) or several (``"ambiguous"``)."""

    def __init__(self, message, *, code, candidates=()):
        super().__init__(message, code=code)
        self.candidates = tuple(candidates)


def short_forms(region: Region) -> set[str]:
    """What offices write for the division besides its full name."""
    name = region.name
    forms = set()
    for tail in ("自治州", "自治县"):
        if name.endswith(tail):
            stem = name[: -len(tail)]
            while True:  # 黔东南苗族侗族 → 黔东南
                group = next((g for g in ETHNIC_GROUPS if stem.endswith(g)), None)
                if group is None:
                    break
                stem = stem[: -len(group)]
            kind = tail[-1]  # 州 or 县
            forms |= {stem, stem + kind, stem + tail}
            return {f for f in forms if len(f) >= 2 and f != name}
    for suffix in _SUFFIXES:
        stem = name[: -len(suffix)]
        if name.endswith(suffix) and len(stem) >= 2:
            forms.add(stem)
            break
    return forms


@dataclass(frozen=True)
class _Match:
    rank: int
    code: str


class RegionResolver:
    """Prefectures and counties by every name and code offices use (see module doc)."""

    def __init__(self, regions: list[Region], aliases: list[tuple[str, str]]):
        self.regions = {r.code: r for r in regions if r.level != RegionLevel.PROVINCE}
        self._names: dict[str, set[_Match]] = {}
        for region in self.regions.values():
            self._add(region.code, FULL, region.code)
            self._add(region.name, FULL, region.code)
            for form in short_forms(region):
                self._add(form, SHORT, region.code)
        for alias, code in aliases:
            if code in self.regions:
                self._add(alias, FORMER, code)

    def _add(self, text: str, rank: int, code: str) -> None:
        self._names.setdefault(normalize(text), set()).add(_Match(rank, code))

    def _codes(self, text: str) -> set[str]:
        """The divisions ``text`` names at its most certain rank."""
        matches = self._names.get(text)
        if not matches:
            return set()
        best = min(m.rank for m in matches)
        return {m.code for m in matches if m.rank == best}

    def _within(self, text: str) -> set[str]:
        """``<prefecture><county>`` written together: the counties that fit."""
        found = set()
        for cut in range(2, len(text) - 1):
            prefectures = {
                c
                for c in self._codes(text[:cut])
                if self.regions[c].level == RegionLevel.PREFECTURE
            }
            if not prefectures:
                continue
            found |= {
                c
                for c in self._codes(text[cut:])
                if self.regions[c].parent_id in prefectures
            }
        return found

    def resolve(self, text) -> Region | None:
        """The division ``text`` names; ``None`` for an empty text.

        Raises ``RegionUnresolved`` (a ``ValidationError`` with a Chinese message).
        """
        wanted = normalize(text)
        if not wanted:
            return None
        for prefix in PROVINCE_PREFIXES:
            if wanted.startswith(prefix) and len(wanted) > len(prefix):
                wanted = wanted[len(prefix) :]
                break
        codes = self._codes(wanted) or self._within(wanted)
        if len(codes) == 1:
            return self.regions[codes.pop()]
        shown = _shown(text)
        if not codes:
            raise RegionUnresolved(
                f"未找到户籍地{shown}，请填写贵州省内的县（市、区）或市（州）名称，"
                "或6位行政区划代码；省外户籍可留空。",
                code="unknown",
            )
        candidates = sorted(codes)
        names = "、".join(f"{self.full_name(c)}（{c}）" for c in candidates)
        raise RegionUnresolved(
            f"户籍地{shown}对应多个地区：{names}。请写明所属市（州），"
            "或填写6位行政区划代码。",
            code="ambiguous",
            candidates=[self.regions[c] for c in candidates],
        )

    def full_name(self, code: str) -> str:
        """``贵阳市南明区``: a county with its prefecture."""
        region = self.regions[code]
        parent = self.regions.get(region.parent_id or "")
        return f"{parent.name}{region.name}" if parent else region.name


def _shown(text) -> str:
    """The text as a message may quote it: never a long number (it may be an ID)."""
    value = normalize(text)
    if len(value) > 30 or _LONG_DIGITS.search(value):
        return ""
    return f"“{value}”"


def _aliases() -> list[tuple[str, str]]:
    with open(DATA_DIR / ALIASES_FILE, encoding="utf-8") as fh:
        return [(row["alias"], row["code"]) for row in csv.DictReader(fh)]


_lock = threading.Lock()
_resolver: RegionResolver | None = None


def region_resolver() -> RegionResolver:
    """The process's resolver, built on first use."""
    global _resolver
    resolver = _resolver
    if resolver is None:
        with _lock:
            if _resolver is None:
                _resolver = RegionResolver(list(Region.objects.all()), _aliases())
            resolver = _resolver
    return resolver


def region_resolve(text) -> Region | None:
    """The prefecture or county ``text`` names (see ``RegionResolver.resolve``)."""
    return region_resolver().resolve(text)


def region_resolver_reset() -> None:
    """Forget the resolver (the next use reads the Region table again)."""
    global _resolver
    with _lock:
        _resolver = None


@receiver(post_save, sender=Region, dispatch_uid="reference.region_resolver_reset")
@receiver(post_delete, sender=Region, dispatch_uid="reference.region_resolver_reset_d")
def _region_changed(**kwargs):
    region_resolver_reset()
