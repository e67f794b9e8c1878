"""Back-office actions on a trainee record beyond the viewset: revealing one full
personal-data value, issuing activation codes."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from trainees.models import Trainee
from trainees.services import (
    REVEALABLE_FIELDS,
    activation_code_issue,
    trainee_reveal_pii,
)
from training_platform import access


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
