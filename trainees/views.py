from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from trainees.models import Trainee
from trainees.services import REVEALABLE_FIELDS, trainee_reveal_pii
from training_platform import access


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
