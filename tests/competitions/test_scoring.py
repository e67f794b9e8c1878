"""Computed marks, ranks, awards and formulas (competitions.scoring)."""

from decimal import Decimal as D

import pytest

from competitions import scoring
from competitions.models import (
    AwardRule,
    CompetitionStatus,
    EventTrack,
    JudgeMethod,
    ResultVersion,
    VersionStatus,
)
from tests.factories import (
    CompetitionFactory,
    EventFactory,
    JudgeMarkFactory,
    competitor,
    employee_award_rules,
)

pytestmark = pytest.mark.django_db


def by_entry(results):
    return {r.entry_id: r for r in results}


def test_total_is_weighted_and_has_its_formula():
    event = EventFactory()
    entry = competitor(event, theory=D("80"), practical=D("88"))
    (result,) = scoring.event_results(event)
    assert result.entry_id == entry.pk
    assert result.total == D("85.60")
    assert result.formulas["total"] == "80.00 × 30% + 88.00 × 70% = 85.60"
    assert result.rank == 1
    assert result.flags == ()


def test_rounding_is_half_up_to_the_cent():
    event = EventFactory(theory_weight=D("35"), practical_weight=D("65"))
    competitor(event, theory=D("80.10"), practical=D("70.00"))
    # 28.035 + 45.5 = 73.535 → 73.54
    (result,) = scoring.event_results(event)
    assert result.total == D("73.54")


def test_missing_marks_give_no_total_and_no_rank():
    event = EventFactory()
    complete = competitor(event, theory=D("60"), practical=D("60"))
    no_theory = competitor(event, practical=D("99"))
    nothing = competitor(event)
    results = scoring.event_results(event)
    assert [r.entry_id for r in results] == [complete.pk, no_theory.pk, nothing.pk]
    found = by_entry(results)
    assert found[no_theory.pk].total is None
    assert found[no_theory.pk].rank is None
    assert found[no_theory.pk].flags == ("缺少理论成绩",)
    assert found[nothing.pk].flags == ("缺少理论成绩", "缺少实操成绩")
    assert found[complete.pk].rank == 1


def test_withdrawn_entries_are_not_ranked():
    event = EventFactory()
    gone = competitor(event, theory=D("100"), practical=D("100"), withdrawn=True)
    stays = competitor(event, theory=D("50"), practical=D("50"))
    found = by_entry(scoring.event_results(event))
    assert found[gone.pk].rank is None
    assert "已退赛" in found[gone.pk].flags
    assert found[stays.pk].rank == 1


def test_equal_totals_share_a_rank_and_the_next_is_skipped():
    event = EventFactory(tie_break_practical=False)
    a = competitor(event, theory=D("90"), practical=D("90"))  # 90
    b = competitor(event, theory=D("100"), practical=D("80"))  # 86
    c = competitor(event, theory=D("80"), practical=D("85"))  # 83.50
    d = competitor(event, theory=D("86"), practical=D("86"))  # 86
    e = competitor(event, theory=D("10"), practical=D("10"))
    ranks = {r.entry_id: r.rank for r in scoring.event_results(event)}
    assert ranks[a.pk] == 1
    assert ranks[b.pk] == ranks[d.pk] == 2
    assert ranks[c.pk] == 4
    assert ranks[e.pk] == 5


def test_tie_break_by_practical_orders_equal_totals():
    event = EventFactory(tie_break_practical=True)
    more_practical = competitor(event, theory=D("86"), practical=D("86"))  # 86.00
    more_theory = competitor(event, theory=D("100"), practical=D("80"))  # 86.00
    twin = competitor(
        event, theory=D("100"), practical=D("80")
    )  # 86.00, same practical
    results = scoring.event_results(event)
    ranks = {r.entry_id: r.rank for r in results}
    assert ranks[more_practical.pk] == 1
    assert ranks[more_theory.pk] == ranks[twin.pk] == 2
    assert results[0].entry_id == more_practical.pk


def test_judge_mean_with_formula():
    event = EventFactory(uses_judges=True, judge_method=JudgeMethod.MEAN)
    entry = competitor(event, theory=D("80"))
    for judge, mark in (("J1", "86"), ("J2", "88"), ("J3", "90")):
        JudgeMarkFactory(entry=entry, judge=judge, mark=D(mark))
    (result,) = scoring.event_results(event)
    assert result.practical == D("88.00")
    assert result.formulas["practical"] == "(86 + 88 + 90) ÷ 3 = 88.00"
    assert result.total == D("85.60")


def test_trimmed_mean_drops_highest_and_lowest():
    event = EventFactory(
        uses_judges=True, judge_method=JudgeMethod.TRIMMED, judge_spread=D("30")
    )
    entry = competitor(event, theory=D("80"))
    for judge, mark in (("J1", "70"), ("J2", "86"), ("J3", "88.5"), ("J4", "95")):
        JudgeMarkFactory(entry=entry, judge=judge, mark=D(mark))
    (result,) = scoring.event_results(event)
    assert result.practical == D("87.25")
    assert result.formulas["practical"] == (
        "去掉最高分 95、最低分 70：(86 + 88.5) ÷ 2 = 87.25"
    )
    assert result.flags == ()


def test_trimmed_mean_with_two_marks_is_the_mean():
    event = EventFactory(uses_judges=True, judge_method=JudgeMethod.TRIMMED)
    entry = competitor(event, theory=D("80"))
    JudgeMarkFactory(entry=entry, judge="J1", mark=D("80"))
    JudgeMarkFactory(entry=entry, judge="J2", mark=D("85"))
    (result,) = scoring.event_results(event)
    assert result.practical == D("82.50")


def test_judge_spread_is_flagged():
    event = EventFactory(uses_judges=True, judge_spread=D("10"))
    entry = competitor(event, theory=D("80"))
    for judge, mark in (("J1", "80"), ("J2", "90"), ("J3", "85"), ("J4", "78")):
        JudgeMarkFactory(entry=entry, judge=judge, mark=D(mark))
    (result,) = scoring.event_results(event)
    assert result.flags == ("裁判 J2 与 J4 评分相差 12.00，超过允许差 10.00",)
    within = competitor(event, theory=D("80"))
    JudgeMarkFactory(entry=within, judge="J1", mark=D("80"))
    JudgeMarkFactory(entry=within, judge="J2", mark=D("90"))
    assert by_entry(scoring.event_results(event))[within.pk].flags == ()


def test_judged_event_ignores_typed_practical_and_flags_missing_marks():
    event = EventFactory(uses_judges=True)
    competitor(event, theory=D("80"), practical=D("99"))
    (result,) = scoring.event_results(event)
    assert result.practical is None
    assert result.total is None
    assert result.flags == ("缺少实操成绩",)


def worldskills_event():
    return EventFactory(
        track=EventTrack.WORLDSKILLS,
        worldskills_scale=True,
        theory_weight=D("0"),
        practical_weight=D("100"),
    )


def test_worldskills_median_competitor_gets_700():
    event = worldskills_event()
    entries = [competitor(event, practical=D(m)) for m in ("70", "80", "90")]
    found = by_entry(scoring.event_results(event))
    # median 80, population sd = sqrt(200/3) = 8.16
    assert found[entries[1].pk].worldskills == D("700.00")
    assert found[entries[2].pk].worldskills == D("724.51")
    assert found[entries[0].pk].worldskills == D("675.49")
    assert found[entries[2].pk].formulas["worldskills"] == (
        "700 + (90.00 − 80.00) ÷ 8.16 × 20 = 724.51"
    )


def test_worldskills_uses_only_ranked_totals():
    event = worldskills_event()
    kept = [competitor(event, practical=D(m)) for m in ("70", "80", "90")]
    gone = competitor(event, practical=D("10"), withdrawn=True)
    competitor(event)  # no mark
    found = by_entry(scoring.event_results(event))
    assert found[kept[1].pk].worldskills == D("700.00")
    assert found[gone.pk].worldskills is None


def test_worldskills_without_spread_is_700_and_only_when_asked():
    event = worldskills_event()
    entries = [competitor(event, practical=D("80")) for _ in range(3)]
    found = by_entry(scoring.event_results(event))
    assert {found[e.pk].worldskills for e in entries} == {D("700")}
    plain = EventFactory()
    competitor(plain, theory=D("80"), practical=D("80"))
    (result,) = scoring.event_results(plain)
    assert result.worldskills is None
    assert "worldskills" not in result.formulas


def test_employee_award_rules_over_twenty():
    event = EventFactory(tie_break_practical=False)
    employee_award_rules(event.competition)
    entries = [
        competitor(event, theory=D(100 - i), practical=D(100 - i)) for i in range(20)
    ]
    awards = {r.entry_id: r.award for r in scoring.event_results(event)}
    got = [awards[e.pk] for e in entries]
    formulas = {r.entry_id: r.formulas for r in scoring.event_results(event)}
    assert formulas[entries[2].pk]["award"] == (
        "第 3 名，在二等奖前 3 名（一等奖 1 名 + 二等奖 2 名）内"
    )
    assert formulas[entries[9].pk]["award"] == (
        "第 10 名，在优胜奖前 10 名（参赛 20 名 × 50% = 10 名，含以上奖项）内"
    )
    assert "award" not in formulas[entries[10].pk]
    assert got == (
        ["一等奖"] + ["二等奖"] * 2 + ["三等奖"] * 5 + ["优胜奖"] * 2 + [""] * 10
    )


def test_ties_at_an_edge_share_the_better_award():
    event = EventFactory(tie_break_practical=False)
    employee_award_rules(event.competition)
    marks = ["100", "95", "90", "90"] + [str(80 - i) for i in range(6)]
    entries = [competitor(event, theory=D(m), practical=D(m)) for m in marks]
    results = by_entry(scoring.event_results(event))
    # ranks 1, 2, 3, 3: both at 3 are within 二等奖's cap of 3
    assert [results[e.pk].award for e in entries[:4]] == ["一等奖"] + ["二等奖"] * 3
    # 三等奖 reaches place 8; in a field of 10 优胜奖 allows places up to 5 → none
    assert [results[e.pk].award for e in entries[4:]] == ["三等奖"] * 4 + [""] * 2
    assert "award" in results[entries[0].pk].formulas


def test_medal_rules_for_a_team_event():
    competition = CompetitionFactory()
    for i, (name, count, share) in enumerate(
        [
            ("金牌", 1, None),
            ("银牌", 1, None),
            ("铜牌", 1, None),
            ("优胜奖", None, D("60")),
        ]
    ):
        AwardRule.objects.create(
            competition=competition, sort_order=i, name=name, count=count, share=share
        )
    event = EventFactory(competition=competition, is_team=True, team_size=2)
    teams = [
        competitor(event, theory=D(90 - i * 5), practical=D(90 - i * 5))
        for i in range(6)
    ]
    results = by_entry(scoring.event_results(event))
    assert [results[t.pk].award for t in teams] == ["金牌", "银牌", "铜牌"] + [""] * 3
    # 60 % of 6 is 3 places, all given: no 优胜奖; with 10 teams 6 places → 3 more
    more = [competitor(event, theory=D(50 - i), practical=D(50 - i)) for i in range(4)]
    results = by_entry(scoring.event_results(event))
    order = teams + more
    assert [results[t.pk].award for t in order] == (
        ["金牌", "银牌", "铜牌"] + ["优胜奖"] * 3 + [""] * 4
    )
    assert all(results[t.pk].rank is not None for t in order)


def test_competition_results_query_count_is_fixed(django_assert_num_queries):
    competition = CompetitionFactory()
    employee_award_rules(competition)

    def add(n):
        for _ in range(n):
            judged = EventFactory(competition=competition, uses_judges=True)
            typed = EventFactory(competition=competition)
            for _ in range(n):
                entry = competitor(judged, theory=D("80"))
                JudgeMarkFactory(entry=entry, judge="J1", mark=D("80"))
                JudgeMarkFactory(entry=entry, judge="J2", mark=D("84"))
                competitor(typed, theory=D("70"), practical=D("75"))

    add(1)
    with django_assert_num_queries(4):
        results = scoring.competition_results(competition)
    assert len(results) == 2
    add(3)
    with django_assert_num_queries(4):
        results = scoring.competition_results(competition)
    assert len(results) == 8
    assert sum(len(r) for r in results.values()) == 2 + 3 * 3 * 2
    event = next(iter(competition.events.all()))
    with django_assert_num_queries(3):
        scoring.event_results(event)


def test_scores_editable():
    competition = CompetitionFactory(status=CompetitionStatus.REGISTRATION)
    assert not scoring.scores_editable(competition)
    competition.status = CompetitionStatus.SCORING
    assert scoring.scores_editable(competition)
    competition.status = CompetitionStatus.PUBLISHED
    competition.save()
    ResultVersion.objects.create(
        competition=competition, number=1, status=VersionStatus.PUBLISHED
    )
    assert scoring.scores_editable(competition)
    ResultVersion.objects.create(
        competition=competition, number=2, status=VersionStatus.PROPOSED
    )
    assert not scoring.scores_editable(competition)
