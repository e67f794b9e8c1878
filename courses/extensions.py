"""What higher apps plug into courses (see ``training_platform/extensions.py``)."""

from training_platform.extensions import ExtensionPoint

#: ``fn(enrolment ids) -> set of ids`` whose attendance and results something now stands
#: on (a valid certificate), so they may no longer change (``services.results_settled``).
result_locks = ExtensionPoint(
    "courses.result_locks", "fn(enrolment ids) -> the settled ones"
)

#: ``fn(request, training_class) -> [(label, url)]``: links on the class page
#: (certificates, subsidies).
class_page_links = ExtensionPoint(
    "courses.class_page_links", "fn(request, training_class) -> [(label, url)]"
)
