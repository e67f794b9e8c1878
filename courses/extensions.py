"""What higher apps plug into courses (see ``training_platform/extensions.py``)."""

from typing import NamedTuple

from training_platform.extensions import ExtensionPoint

#: ``fn(enrolment ids) -> set of ids`` whose attendance and results something now stands
#: on (a valid certificate), so they may no longer change (``services.results_settled``).
result_locks = ExtensionPoint(
    "courses.result_locks", "fn(enrolment ids) -> the settled ones"
)


class ClassPageLink(NamedTuple):
    """A link a higher app puts on the class page.

    ``next_step`` links (为本班发证) stand with the class's actions at the top, with their
    one-line ``explanation``; when such a step is expected but cannot be taken yet it is
    shown disabled (``enabled=False``) with the ``reason``. Other links (本班证书) go
    to the page's lower sections.
    """

    label: str
    url: str
    explanation: str = ""
    enabled: bool = True
    reason: str = ""
    next_step: bool = False


#: ``fn(request, training_class) -> [ClassPageLink]``: links on the class page
#: (certificates, subsidies), only those that fit the class's state and the user.
class_page_links = ExtensionPoint(
    "courses.class_page_links",
    "fn(request, training_class) -> [ClassPageLink(label, url, explanation, "
    "enabled, reason, next_step)]",
)
