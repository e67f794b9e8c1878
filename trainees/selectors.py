"""Reads of trainee records."""

from trainees.models import Trainee, id_number_hash
from training_platform.validators import normalize


def trainee_find_by_id_number(id_number: str, queryset=None) -> Trainee | None:
    """The trainee holding this ID number (normalised), through the blind index."""
    queryset = Trainee.objects.all() if queryset is None else queryset
    return queryset.filter(id_number_hash=id_number_hash(normalize(id_number))).first()


def trainee_of(user) -> Trainee | None:
    """The real-name record linked to a signed-in user, if there is one."""
    if user is None or not user.is_authenticated:
        return None
    return Trainee.objects.filter(user=user).first()
