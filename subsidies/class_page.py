"""The subsidy link on a class page (courses renders it; it never imports subsidies).

Registered on ``courses.extensions.class_page_links`` in ``apps.py``: 申领培训补贴 for
the class's institution staff once the class is finished, shown disabled with the reason
while nobody passed; 本班补贴申领 once claims exist.
"""

from django.urls import reverse

from courses.extensions import ClassPageLink
from courses.models import ClassStatus
from subsidies import services
from subsidies.filing_views import claims_list_url
from subsidies.models import Claim


def class_page_links(request, training_class) -> list[ClassPageLink]:
    user = request.user
    if training_class.status != ClassStatus.FINISHED:
        return []
    if not services.may_file_for_class(user, training_class):
        return []
    reason = services.class_filing_readiness(training_class)
    links = [
        ClassPageLink(
            "申领培训补贴",
            reverse("subsidies_class_filing", args=[training_class.pk]),
            explanation="为考核合格的学员申领补贴：先逐人预览金额和预审结果，确认后提交。",
            enabled=not reason,
            reason=reason,
            next_step=True,
        )
    ]
    if Claim.objects.filter(enrolment__training_class=training_class).exists():
        links.append(
            ClassPageLink(
                "本班补贴申领",
                claims_list_url(training_class),
                explanation="本班已提交的补贴申领及其状态。",
            )
        )
    return links
