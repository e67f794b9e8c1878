"""Who may see and change competitions (see training_platform/access.py).

A competition is run by the bureau of its region (or one above it) and by the
organisers named on it (``Competition.organisers``): both manage events, entries and
scores. Auditors over the region read everything. Publishing results and approving a
correction are the bureau's (they issue certificates, titles and promotions), and a
correction is approved by a second person, never the one who proposed it. A person
sees their own registrations and outcomes.
"""

from django.db.models import Q

from training_platform import access
from training_platform.roles import Role


def _organised(scope, path: str) -> Q:
    return Q(**{path: scope.user_id}) if scope.user_id else access.NOTHING


def _over_region(scope, path: str, *roles) -> Q:
    return access.any_of([scope.region_q(path, role=role) for role in roles])


def competition_view(scope):
    return access.any_of(
        [
            _over_region(scope, "region__code", Role.BUREAU, Role.AUDITOR),
            _organised(scope, "organisers"),
        ]
    )


def competition_change(scope):
    return access.any_of(
        [
            _over_region(scope, "region__code", Role.BUREAU),
            _organised(scope, "organisers"),
        ]
    )


def _under_competition(rule, path: str):
    """A rule over Competition, read through ``path`` (``event__competition``)."""

    def rule_for(scope):
        return access.any_of(
            [
                _over_region(scope, f"{path}__region__code", Role.BUREAU, Role.AUDITOR)
                if rule is competition_view
                else _over_region(scope, f"{path}__region__code", Role.BUREAU),
                _organised(scope, f"{path}__organisers"),
            ]
        )

    return rule_for


event_view = _under_competition(competition_view, "competition")
event_change = _under_competition(competition_change, "competition")
entry_view = _under_competition(competition_view, "event__competition")
entry_change = _under_competition(competition_change, "event__competition")
version_view = _under_competition(competition_view, "competition")
_outcome_staff_view = _under_competition(competition_view, "competition")


def registration_view(scope):
    own = Q(trainee_id=scope.trainee_id) if scope.trainee_id else access.NOTHING
    return access.any_of(
        [own, _under_competition(competition_view, "event__competition")(scope)]
    )


def outcome_view(scope):
    own = Q(trainee_id=scope.trainee_id) if scope.trainee_id else access.NOTHING
    return access.any_of([own, _outcome_staff_view(scope)])


# --- who may act (screens ask these; services check them again) ---------------------


def is_bureau_over(actor, competition) -> bool:
    """The bureau of the competition's region or above, or a superuser."""
    if actor is None or not actor.is_authenticated:
        return False
    if actor.is_superuser:
        return True
    code = competition.region_id or ""
    return any(
        code.startswith(prefix)
        for prefix in access.scope_for(actor).region_prefixes(Role.BUREAU)
    )


def is_organiser(actor, competition) -> bool:
    if actor is None or not actor.is_authenticated or competition.pk is None:
        return False
    return competition.organisers.filter(pk=actor.pk).exists()


def may_manage(actor, competition) -> bool:
    """Events, entries, scores and score imports: the bureau over it or an organiser."""
    return is_bureau_over(actor, competition) or is_organiser(actor, competition)


def may_publish(actor, competition) -> bool:
    """Publishing results (and so issuing what they give) is the bureau's act."""
    return is_bureau_over(actor, competition)


def may_approve_correction(actor, version) -> bool:
    """A second bureau person: never the one who proposed the correction."""
    return (
        may_publish(actor, version.competition)
        and actor.pk is not None
        and actor.pk != version.proposed_by_id
    )


version_view_of_result = _under_competition(competition_view, "version__competition")
score_upload_view = _under_competition(competition_change, "event__competition")


# --- management (c12-manage) ---
def may_open_competitions(user) -> bool:
    """The 职业技能竞赛 menu and list: the bureau, auditors, administrators and anyone
    named organiser of a competition."""
    if user is None or not user.is_authenticated:
        return False
    scope = access.scope_for(user)
    if scope.is_superuser or scope.has(Role.BUREAU) or scope.has(Role.AUDITOR):
        return True
    return user.organised_competitions.exists()


# --- end management ---
