"""The one place that answers "which rows may this user see / change".

Each app registers, in its ``AppConfig.ready()``, an :class:`AccessRule` per model on the
``access_rules`` extension point (``training_platform/extensions.py``): a *view* rule and a
*change* rule, each a function from the user's :class:`Scope` to a ``Q``. Higher apps may
add rules to a lower app's model (``courses`` lets an institution see the trainees
enrolled in its classes) without the lower app importing them. Every back-office list, object view and API goes through
:func:`visible` / :func:`changeable` (or :func:`get_visible_or_404`).

Who the user *is* (their memberships) is told by *scope resolvers* that the apps owning
memberships register on ``scope_resolvers``, so this module imports no app.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from training_platform.extensions import access_rules, scope_resolvers
from training_platform.roles import ORGANISATION_ROLES, REGION_ROLES, Role

NOTHING = Q(pk__in=[])
EVERYTHING = Q()


def any_of(queries: Iterable[Q]) -> Q:
    """OR the queries; ``EVERYTHING`` if any of them is, ``NOTHING`` if there are none."""
    combined = None
    for query in queries:
        if query == NOTHING:
            continue
        if not query:
            return EVERYTHING
        combined = query if combined is None else combined | query
    return NOTHING if combined is None else combined


@dataclass(frozen=True)
class Scope:
    """What a user is: roles, the organisations they work for, the regions they cover."""

    user_id: int | None = None
    is_superuser: bool = False
    roles: frozenset = frozenset()
    role_institutions: tuple = ()  # (role, institution id) pairs
    role_regions: tuple = ()  # (role, region code prefix) pairs
    trainee_id: int | None = None

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_staff_scope(self) -> bool:
        return bool(self.roles & (ORGANISATION_ROLES | REGION_ROLES | {Role.EDITOR}))

    def region_prefixes(self, role: str | None = None) -> tuple:
        """Region code prefixes covered, by any regional role or by ``role`` only."""
        return _outermost(p for r, p in self.role_regions if role is None or r == role)

    def region_q(self, *paths: str, role: str | None = None) -> Q:
        """Rows whose region (any of ``paths``, each a region code path) is in scope."""
        return any_of(
            Q(**{f"{path}__startswith": prefix})
            for prefix in self.region_prefixes(role)
            for path in paths
        )

    def institution_ids(self, role: str | None = None) -> list:
        """Institutions the user works for, in any organisation role or in ``role``."""
        return sorted(
            {i for r, i in self.role_institutions if role is None or r == role}
        )

    def institution_q(self, path: str, role: str | None = None) -> Q:
        ids = self.institution_ids(role)
        return Q(**{f"{path}__in": ids}) if ids else NOTHING


ANONYMOUS = Scope()

Rule = Callable[[Scope], Q]
ScopeResolver = Callable[[object], dict]


@dataclass(frozen=True)
class AccessRule:
    """What ``model``'s rows a scope may see (``view``) and change (``change``, if given)."""

    model: type[Model]
    view: Rule
    change: Rule | None = None


def has_rules(model: type[Model]) -> bool:
    """Whether any app registered access rules for ``model`` (or a parent class)."""
    return bool(_rules_for(model, "view"))


def _resolve(user) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    roles, role_institutions, role_regions, trainee_id = set(), set(), set(), None
    for resolver in scope_resolvers:
        part = resolver(user)
        roles |= set(part.get("roles", ()))
        role_institutions |= set(part.get("role_institutions", ()))
        role_regions |= set(part.get("role_regions", ()))
        trainee_id = part.get("trainee_id", trainee_id)
    if user.is_superuser:
        roles.add(Role.ADMIN)
    return Scope(
        user_id=user.pk,
        is_superuser=user.is_superuser,
        roles=frozenset(roles),
        role_institutions=tuple(sorted(role_institutions)),
        role_regions=tuple(sorted(role_regions)),
        trainee_id=trainee_id,
    )


def _outermost(prefixes: Iterable[str]) -> tuple:
    """Drop prefixes already covered by a shorter one (a province covers its prefectures)."""
    kept = []
    for prefix in sorted(prefixes, key=len):
        if not any(prefix.startswith(k) for k in kept):
            kept.append(prefix)
    return tuple(sorted(kept))


def scope_for(user) -> Scope:
    """The user's scope, computed once per user object (i.e. once per request)."""
    if user is None:
        return ANONYMOUS
    cached = getattr(user, "_access_scope", None)
    if cached is None:
        cached = _resolve(user)
        if user.is_authenticated:
            user._access_scope = cached
    return cached


def forget_scope(user) -> None:
    """Drop the cached scope (after a membership change in the same request or test)."""
    if hasattr(user, "_access_scope"):
        del user._access_scope


def _as_queryset(source) -> QuerySet:
    if isinstance(source, QuerySet):
        return source
    return source._default_manager.all()


def _rules_for(model, kind: str) -> list[Rule]:
    """The ``kind`` ("view" or "change") rules of the nearest class in the MRO with any."""
    for klass in model.__mro__:
        rules = []
        for rule in access_rules:
            fn = getattr(rule, kind)
            if rule.model is klass and fn is not None and fn not in rules:
                rules.append(fn)
        if rules:
            return rules
    return []


def _filter(user, source, kind: str) -> QuerySet:
    qs = _as_queryset(source)
    scope = scope_for(user)
    if scope.is_superuser:
        return qs
    query = any_of(rule(scope) for rule in _rules_for(qs.model, kind))
    if query == NOTHING:
        return qs.none()
    if query == EVERYTHING:
        return qs
    # A rule that spans a to-many relation can match a row twice.
    return qs.filter(pk__in=qs.model._default_manager.filter(query).values("pk"))


def visible(user, source) -> QuerySet:
    """Rows of ``source`` (a model or queryset) that ``user`` may see."""
    return _filter(user, source, "view")


def changeable(user, source) -> QuerySet:
    """Rows of ``source`` that ``user`` may change."""
    return _filter(user, source, "change")


def get_visible_or_404(user, source, **lookup):
    """One row the user may see, or 404 (never a 403 that confirms the row exists)."""
    try:
        return visible(user, source).get(**lookup)
    except _as_queryset(source).model.DoesNotExist:
        raise Http404 from None


def can_view(user, obj) -> bool:
    return visible(user, type(obj)).filter(pk=obj.pk).exists()


def can_change(user, obj) -> bool:
    return changeable(user, type(obj)).filter(pk=obj.pk).exists()
