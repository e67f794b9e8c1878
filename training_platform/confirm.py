"""One confirmation step for consequential actions (结业, 批准, 退出培训班, 撤销 ...).

The action stays a POST form. Posted without ``confirmed=1``, the view answers with a
page that says what will happen and re-posts the same fields with ``confirmed=1``:
it works without JavaScript, the test client can drive it, and the wording lives beside
the action instead of in a browser ``confirm()`` box. Usage in a view::

    if confirm.needed(request):
        return confirm.page(request, title="结业", question="确定让本班结业吗？",
                            consequences=["结业后不能再报名或修改名单。"],
                            confirm_label="确认结业", cancel_url=inspect_url(cls))
"""

from dataclasses import dataclass, field

from django.http import HttpRequest
from django.shortcuts import render

CONFIRMED = "confirmed"


def needed(request: HttpRequest) -> bool:
    """True until the person has confirmed on the confirmation page."""
    return request.POST.get(CONFIRMED) != "1"


@dataclass
class Confirmation:
    title: str
    question: str
    confirm_label: str
    cancel_url: str
    consequences: list[str] = field(default_factory=list)
    danger: bool = False
    fields: list[tuple[str, str]] = field(default_factory=list)


def page(
    request: HttpRequest,
    *,
    title: str,
    question: str,
    confirm_label: str,
    cancel_url: str,
    consequences: list[str] | tuple[str, ...] = (),
    danger: bool = False,
    admin: bool = True,
):
    """The confirmation page: the question, what follows, and the same POST again."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", CONFIRMED)
        for value in values
    ]
    confirmation = Confirmation(
        title=title,
        question=question,
        confirm_label=confirm_label,
        cancel_url=cancel_url,
        consequences=list(consequences),
        danger=danger,
        fields=fields,
    )
    template = (
        "training_platform/confirm_admin.html"
        if admin
        else "training_platform/confirm_public.html"
    )
    return render(
        request,
        template,
        {"confirmation": confirmation, "action_url": request.get_full_path()},
    )
