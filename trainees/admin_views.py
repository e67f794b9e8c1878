"""Back-office actions on a trainee record beyond the viewset: revealing one full
personal-data value, issuing activation codes, exporting the lifetime record."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from trainees.models import Trainee
from trainees.record_export import (
    export_filename,
    record_in_chinese,
    record_pdf,
    record_xlsx,
)
from trainees.services import (
    REVEALABLE_FIELDS,
    activation_code_issue,
    trainee_reveal_pii,
)
from trainees.views import pdf_response, public_base_url
from training_platform import access
from training_platform.audit.services import audit_record
from training_platform.xlsx import xlsx_response


@never_cache
@require_POST
@sensitive_variables("code")
def activation_code_issue_view(request, pk):
    """Issue an activation code and show it once (404 outside scope, 403 if not allowed)."""
    trainee = access.get_visible_or_404(request.user, Trainee, pk=pk)
    try:
        activation, code = activation_code_issue(
            actor=request.user, trainee=trainee, request=request
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("trainees:inspect", pk)
    return render(
        request,
        "trainees/admin/activation_code.html",
        {"trainee": trainee, "code": code, "activation": activation},
    )


@never_cache
@require_POST
@sensitive_variables("value")
def trainee_reveal(request, pk, field):
    """Show one full personal-data value to a permitted user, and log that it was shown."""
    if field not in REVEALABLE_FIELDS:
        raise PermissionDenied
    trainee = access.get_visible_or_404(request.user, Trainee, pk=pk)
    value = trainee_reveal_pii(
        actor=request.user, trainee=trainee, field=field, request=request
    )
    return render(
        request,
        "trainees/admin/trainee_reveal.html",
        {"trainee": trainee, "label": REVEALABLE_FIELDS[field], "value": value},
    )


# --- the lifetime record, as files (the page is the trainee's inspect view) ---------------


def _record_export(request, pk, fmt: str):
    """The record of a trainee in the user's scope (404 outside it), ID masked; audited."""
    trainee = access.get_visible_or_404(request.user, Trainee, pk=pk)
    record = record_in_chinese(trainee, viewer=request.user)
    today = timezone.localdate()
    if fmt == "pdf":
        content = record_pdf(
            record, masked_id=trainee.masked_id_number, exported_on=today
        )
    else:
        content = record_xlsx(
            record,
            masked_id=trainee.masked_id_number,
            exported_on=today,
            base_url=public_base_url(),
        )
    audit_record(
        actor=request.user,
        action=f"trainee.record_export.{fmt}",
        obj=trainee,
        request=request,
    )
    filename = export_filename(record, today, fmt)
    if fmt == "pdf":
        return pdf_response(content, filename)
    return xlsx_response(content, filename)


@never_cache
def trainee_record_pdf(request, pk):
    return _record_export(request, pk, "pdf")


@never_cache
def trainee_record_xlsx(request, pk):
    return _record_export(request, pk, "xlsx")
