"""Demo: a public page for every competition past its draft, under /competitions/, so
the demo competition (demo.competitions, helper P) is reachable from the site. The page
holds only a short introduction; everything else is read from the records.
Repeat-safe: a competition that has a page keeps it."""

from cms.slugs import pinyin_slug
from competitions.models import Competition
from competitions.selectors import PUBLIC_STATUSES
from demo.skips import SeedNotes


def seed_competition_pages(notes: SeedNotes) -> int:
    from cms.models import CompetitionIndexPage, CompetitionPage

    index = CompetitionIndexPage.objects.first()
    if index is None:
        notes.skip("竞赛页面", "网站没有竞赛目录页")
        return 0
    have = set(CompetitionPage.objects.values_list("competition_id", flat=True))
    created = 0
    for competition in Competition.objects.filter(status__in=PUBLIC_STATUSES).exclude(
        pk__in=have
    ):
        with notes.attempt(f"竞赛页面“{competition.name}”"):
            index.add_child(
                instance=CompetitionPage(
                    title=competition.name,
                    slug=pinyin_slug(competition.name)[:80]
                    or f"competition-{competition.pk}",
                    competition=competition,
                    intro="",
                )
            )
            created += 1
    return created
