"""Reference data is public to every signed-in role; the province bureau maintains it.

Occupations and key groups hold for the whole province (and an occupation's name is
printed on certificates), so a prefecture or county bureau may look but not edit.
"""

from training_platform import access
from training_platform.reference.models import (
    RegionLevel,
    prefix_for,
)
from training_platform.roles import Role

_PROVINCE_PREFIX_LENGTH = len(prefix_for("520000", RegionLevel.PROVINCE))


def may_edit_reference(scope) -> bool:
    """An administrator, or bureau staff whose region is a whole province."""
    if scope.is_superuser or scope.has(Role.ADMIN):
        return True
    return any(
        len(prefix) <= _PROVINCE_PREFIX_LENGTH
        for prefix in scope.region_prefixes(Role.BUREAU)
    )


def everyone(scope):
    return access.EVERYTHING if scope.user_id else access.NOTHING


def province_bureau(scope):
    return access.EVERYTHING if may_edit_reference(scope) else access.NOTHING
