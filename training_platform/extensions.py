"""Extension points: how an upper app plugs into a lower one without being imported by it.

A lower app declares what it can be extended with, in its own ``extensions.py``::

    # courses/extensions.py
    class_page_links = ExtensionPoint(
        "courses.class_page_links", "fn(request, training_class) -> [ClassPageLink]"
    )

reads it where it needs the contributions (``for fn in class_page_links: ...``), and
never imports who filled it. The upper app registers its contributions in its
``AppConfig.ready()``, all in that one place::

    # certificates/apps.py
    def ready(self):
        from courses.extensions import class_page_links
        class_page_links.register(class_page.class_page_links)

Why not Wagtail hooks: these points are read outside the Wagtail admin too (public
views, the API, tasks, management commands), and ``ready()`` fills them at start-up
before any request, where Wagtail discovers ``wagtail_hooks`` modules lazily. Wagtail
hooks stay for Wagtail's own extension points (menus, admin URLs, viewsets, page hooks).

This module also declares the platform's own points (access rules, scope resolvers,
the API's routers and token authenticators); the item types live beside their readers.
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class ExtensionPoint(Generic[T]):
    """An ordered list of contributions; registering the same item twice keeps one."""

    def __init__(self, name: str, doc: str = "") -> None:
        self.name = name
        self.doc = doc
        self._items: list[T] = []

    def register(self, item: T) -> T:
        """Add ``item`` (a function, a rule, a record…); returns it, so it decorates."""
        if item not in self._items:
            self._items.append(item)
        return item

    def extend(self, items: Iterable[T]) -> None:
        for item in items:
            self.register(item)

    def items(self) -> list[T]:
        """The contributions, in registration order."""
        return list(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    @contextmanager
    def register_temporarily(self, *items: T) -> Iterator[None]:
        """For tests: the point with ``items`` added, as it was afterwards."""
        saved = list(self._items)
        try:
            for item in items:
                self.register(item)
            yield
        finally:
            self._items[:] = saved

    def __repr__(self) -> str:
        return f"<ExtensionPoint {self.name}: {len(self._items)} items>"


# --- the platform's own points ---------------------------------------------------------

#: ``training_platform.access.AccessRule`` items: who may see / change a model's rows.
#: Rules for one model are OR-ed; a higher app may add rules to a lower app's model.
access_rules: ExtensionPoint[Any] = ExtensionPoint(
    "access_rules", "AccessRule(model, view=fn(scope) -> Q, change=fn(scope) -> Q)"
)

#: ``fn(user) -> dict`` of Scope fields (roles, role_institutions, role_regions,
#: trainee_id), told by the apps that own memberships; the parts are merged.
scope_resolvers: ExtensionPoint[Callable[[Any], dict]] = ExtensionPoint(
    "scope_resolvers", "fn(user) -> dict of Scope fields to merge"
)

#: ``training_platform.api.ApiRoute(prefix, router)`` items: the parts of /api/v1/ (one
#: ``ninja.Router`` each), mounted in registration order when the URL conf loads.
api_routers: ExtensionPoint[Any] = ExtensionPoint(
    "api_routers", "ApiRoute(prefix, ninja.Router)"
)

#: ``fn(plain, request) -> training_platform.api.ApiPrincipal | None``: who a bearer
#: token of /api/v1/ speaks for; the first principal wins, none means 401.
api_token_authenticators: ExtensionPoint[Callable[[str, Any], Any]] = ExtensionPoint(
    "api_token_authenticators", "fn(plain, request) -> ApiPrincipal | None"
)

#: ``fn(request) -> list[training_platform.home.HomePanel]``: what waits for
#: ``request.user`` on the back-office home (/admin/), told by the app that owns the
#: work; a function returns ``[]`` for a user it has nothing for.
home_panels: ExtensionPoint[Callable[[Any], list]] = ExtensionPoint(
    "home_panels", "fn(request) -> [HomePanel] for request.user"
)
