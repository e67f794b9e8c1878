"""Which division code a person born in a Guizhou county on a given date carries in the
first six digits of the ID number: the code the county (or the division it was part
of) had at the birth date, not today's.

The reference data (``gz_areas.csv``) holds today's codes; ``gz_region_aliases.csv``
the county-level changes of the last years (播州 2016, 盘州 2017, 兴仁 2018, 水城 2020,
黔西 2011/2021). This table adds the prefecture-level reorganisations that renumbered
whole prefectures — 遵义地区 → 遵义市 (1997, 5221xx → 5203xx), 安顺地区 → 安顺市 (2000,
5225xx → 5204xx), 毕节地区 and 铜仁地区 → 地级市 (2011, 5224xx → 5205xx, 5222xx →
5206xx) — and the districts made since (汇川 2003 from 红花岗, 观山湖 2012 from 白云/乌当,
平坝 2014). Like docs/reference.md's ❌ rows these are from GB/T 2260's history as
remembered, not checked against a source; earlier renumberings (before 1987, and
county-to-city changes that kept the code) are not modelled. The demo draws birth dates
from 1966 on, so the table covers every code a demo person can carry.
"""

import datetime as dt

# today's county code → [(first year of the later code, earlier code), …], newest
# first: a person born before that year carries the earlier code (or an older one).
_EARLIER: dict[str, list[tuple[int, str]]] = {
    # 贵阳: 观山湖区 was carved out of 白云区 and 金阳新区 in 2012.
    "520115": [(2012, "520113")],
    # 六盘水: the county-level changes in gz_region_aliases.csv.
    "520204": [(2020, "520221")],
    "520281": [(2017, "520222")],
    # 遵义: 遵义地区 (5221xx) became 遵义市 (5203xx) in 1997; 汇川区 in 2003; 播州 2016.
    "520302": [(1997, "522101")],
    "520303": [(2003, "520302"), (1997, "522101")],
    "520304": [(2016, "520321"), (1997, "522121")],
    **{f"5203{n}": [(1997, f"5221{n}")] for n in range(22, 30)},
    "520330": [(1997, "522132")],
    "520381": [(1997, "522181")],
    "520382": [(1997, "522182")],
    # 安顺: 安顺地区 (5225xx) became 安顺市 (5204xx) in 2000; 平坝县 → 平坝区 2014.
    "520402": [(2000, "522501")],
    "520403": [(2014, "520421"), (2000, "522526")],
    "520422": [(2000, "522527")],
    "520423": [(2000, "522529")],
    "520424": [(2000, "522528")],
    "520425": [(2000, "522530")],
    # 毕节: 毕节地区 (5224xx) became 毕节市 (5205xx) in 2011; 黔西县 → 黔西市 2021.
    "520502": [(2011, "522401")],
    **{f"5205{n}": [(2011, f"5224{n + 1}")] for n in (21, 23, 24, 25, 26, 27)},
    "520581": [(2021, "520522"), (2011, "522423")],
    # 铜仁: 铜仁地区 (5222xx) became 铜仁市 (5206xx) in 2011 (万山特区 → 万山区).
    "520602": [(2011, "522201")],
    "520603": [(2011, "522230")],
    **{f"5206{n}": [(2011, f"5222{n + 1}")] for n in range(21, 29)},
    # 黔西南: 兴仁县 → 兴仁市 2018.
    "522302": [(2018, "522322")],
}


def id_region_code(county: str, birth: dt.date) -> str:
    """The division code a person registered in ``county`` at ``birth`` carries."""
    code = county
    for since, earlier in _EARLIER.get(county, ()):
        if birth.year < since:
            code = earlier
    return code


def code_periods(current=()) -> dict[str, tuple[int, int]]:
    """Every code the table names → (first year, last year) people were registered
    under it, 0 and 9999 for open ends. ``current``: today's county codes, given out
    to this day even where the table names one as another county's earlier code
    (白云区's 520113 before 观山湖区); today's codes the table does not name were given
    out all along."""
    periods: dict[str, tuple[int, int]] = {}

    def add(code, first, last):
        known = periods.get(code)
        periods[code] = (
            (min(first, known[0]), max(last, known[1])) if known else (first, last)
        )

    for county, changes in _EARLIER.items():
        until, code = 9999, county
        for since, earlier in changes:  # newest first
            add(code, since, until)
            until, code = since - 1, earlier
        add(code, 0, until)
    for code in set(current) & set(periods):
        if code not in _EARLIER:
            add(code, 0, 9999)
    return periods


# Earlier codes of one county that are still another county's code today.
STILL_CURRENT = frozenset({"520113", "520302"})


def today_of(code: str) -> str:
    """Today's county code for a code an ID number carries (itself if current)."""
    if code in STILL_CURRENT:
        return code
    for county, changes in _EARLIER.items():
        if any(earlier == code for _since, earlier in changes):
            return county
    return code
