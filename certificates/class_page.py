"""The certificate links on a class page (courses renders them; it never imports this app).

Registered on ``courses.extensions.class_page_links`` in ``apps.py``. The links follow the
class's state: 为本班发证 only once the class runs (never while it still takes enrolments),
shown disabled with the reason while nobody is left to certify.
"""

from django.urls import reverse

from certificates import selectors, services
from certificates.admin_views import class_certificates_url, issue_options
from courses.extensions import ClassPageLink
from courses.models import ClassStatus

# Certificates are issued on recorded results, which exist once the class has started.
ISSUING_STATUSES = frozenset({ClassStatus.RUNNING, ClassStatus.FINISHED})


def issue_readiness(user, training_class, kinds) -> str:
    """Why nobody can be certified now ('' when someone can): in words for the page."""
    eligible = services.eligible_enrolments(training_class)
    if not eligible:
        return "本班还没有考核合格且出勤达标的学员。"
    if all(len(services.issued_for(eligible, kind)) >= len(eligible) for kind in kinds):
        return "考核合格的学员都已持有证书。"
    return ""


def class_page_links(request, training_class) -> list[ClassPageLink]:
    """The certificate links ``request.user`` may use on ``training_class``'s page now."""
    user = request.user
    links = []
    if training_class.status not in ISSUING_STATUSES:
        return links
    options = issue_options(user, training_class)
    if options.kinds:
        reason = issue_readiness(user, training_class, options.kinds)
        links.append(
            ClassPageLink(
                "为本班发证",
                reverse("certificates_class_issue", args=[training_class.pk]),
                explanation="为考核合格、出勤达标的学员签发证书，已持证的不会重复发。",
                enabled=not reason,
                reason=reason,
                next_step=True,
            )
        )
    if not user.has_perm("certificates.view_certificate"):
        return links
    if selectors.certificates_of_class(user, training_class).exists():
        links.append(
            ClassPageLink(
                "下载本班证书 PDF",
                reverse("certificates_class_pdf", args=[training_class.pk]),
                explanation="本班全部有效证书，合成一个 PDF 文件。",
            )
        )
    links.append(
        ClassPageLink(
            "本班证书",
            class_certificates_url(training_class),
            explanation="本班学员的证书列表。",
        )
    )
    return links
