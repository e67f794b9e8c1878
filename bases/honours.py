"""Honours of a person as the registry shows them: declared ones typed on a studio,
and those earned on the platform (registered by higher apps on
``bases.extensions.earned_honours``)."""

from dataclasses import dataclass

from bases.extensions import earned_honours


@dataclass(frozen=True)
class EarnedHonour:
    name: str  # 贵州省技术能手
    year: int | None = None
    document_no: str = ""
    source: str = ""  # where it came from, as a reader reads it (the competition)


def earned_honours_of(trainee_ids) -> dict[int, list[EarnedHonour]]:
    """Every registered source's honours for these people, merged per person."""
    ids = [pk for pk in set(trainee_ids) if pk]
    merged: dict[int, list[EarnedHonour]] = {pk: [] for pk in ids}
    if not ids:
        return merged
    for provider in earned_honours:
        for pk, honours in provider(ids).items():
            merged.setdefault(pk, []).extend(honours)
    return merged
