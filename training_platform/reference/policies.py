"""Reference data is public to every signed-in role; the bureau maintains it."""

from training_platform import access
from training_platform.reference.models import KeyGroup, Occupation
from training_platform.roles import Role


def everyone(scope):
    return access.EVERYTHING if scope.user_id else access.NOTHING


def bureau(scope):
    return access.EVERYTHING if scope.has(Role.BUREAU) else access.NOTHING


access.register(Occupation, view=everyone, change=bureau)
access.register(KeyGroup, view=everyone, change=bureau)
