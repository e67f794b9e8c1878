"""Public verification: the QR page, the number + name + ID query, the JSON API, keys.

Every answer is built from :func:`selectors.public_view` (masked holder, nothing more);
unknown and malformed tokens get the same answer shape; each verification is logged; the
endpoints are rate-limited per client (429 with Retry-After). One SELECT per
verification, plus its log row (written at once, or batched: see
``verification_log.VerificationLogWriter``).
"""

from dataclasses import replace

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from certificates import credentials, selectors, status_list
from certificates.models import (
    Certificate,
    DisplayStatus,
    VerificationChannel,
    VerificationOutcome,
)
from certificates.numbering import OTHER_NUMBER, SKILL_LEVEL_NUMBER
from certificates.rendering import certificate_pdf, qr_png, qr_svg
from certificates.services import verification_record
from certificates.signing import QR_PARAM, check_signed, public_keys_document
from trainees.selectors import trainee_of
from training_platform.audit.services import audit_record
from training_platform.ratelimit import rate_limited, too_many
from training_platform.redact import scrub
from training_platform.skeleton import Skeleton, marker
from training_platform.validators import normalize

RATE_SETTING = "CERTIFICATE_VERIFY_RATE"


def _outcome(certificate, signature) -> str:
    if signature is not None and not signature.genuine:
        return VerificationOutcome.TAMPERED
    if certificate is None:
        return VerificationOutcome.NOT_FOUND
    return certificate.display_status()


def _verify(request, token: str, channel: str):
    """(certificate, signature check or None, outcome) for a token, logged."""
    certificate = selectors.certificate_by_token(token)
    signed = request.GET.get(QR_PARAM)
    signature = check_signed(token, signed) if signed else None
    outcome = _outcome(certificate, signature)
    verification_record(
        channel=channel,
        # A token is kept for auditors; an ID number put in its place is not.
        asked=scrub(token),
        certificate=certificate,
        outcome=outcome,
        signature=None if signature is None else signature.genuine,
        request=request,
    )
    return certificate, signature, outcome


def _page(request, *, certificate, signature, outcome, template, extra=None):
    found = certificate is not None and outcome != VerificationOutcome.TAMPERED
    context = {
        "view": selectors.public_view(certificate) if found else None,
        "signature": signature,
        "outcome": outcome,
        "tampered": outcome == VerificationOutcome.TAMPERED,
        **(extra or {}),
    }
    return render(request, template, context, status=200 if found else 404)


# The QR landing page is the public endpoint under load: rendered once per shape (which
# facts are present, the status, the signature verdict) and filled in per request.
VERIFY_PAGE = Skeleton("certificates/verify.html")


def _verify_page(request, *, certificate, signature, outcome):
    found = certificate is not None and outcome != VerificationOutcome.TAMPERED
    tampered = outcome == VerificationOutcome.TAMPERED
    values: dict = {}
    marked_view = None
    if found:
        view = selectors.public_view(certificate)
        values = {k: v for k, v in view.as_dict().items() if v not in (None, "")}
        # status is printed as an attribute and compared: it stays real (a known word).
        values.pop("status")
        marked_view = replace(view, **{k: marker(k) for k in values})
    marked_signature = None
    if signature is not None:
        values["signature_reason"] = signature.reason
        marked_signature = replace(signature, reason=marker("signature_reason"))
    shape = (
        outcome,
        signature.genuine if signature is not None else None,
        tuple(sorted(values)),
    )
    html = VERIFY_PAGE.render(
        request,
        shape=shape,
        marked_context={
            "view": marked_view,
            "signature": marked_signature,
            "outcome": outcome,
            "tampered": tampered,
        },
        values=values,
    )
    return HttpResponse(html, status=200 if found else 404)


def _html_429(retry_after: int):
    return too_many(retry_after, "查询过于频繁，请稍后再试。")


@never_cache
@require_GET
@rate_limited("verify", RATE_SETTING, response=_html_429)
def verify(request, token: str):
    """The page a certificate's QR opens."""
    certificate, signature, outcome = _verify(request, token, VerificationChannel.PAGE)
    return _verify_page(
        request, certificate=certificate, signature=signature, outcome=outcome
    )


class QueryForm(forms.Form):
    number = forms.CharField(label="证书编号", max_length=40)
    name = forms.CharField(label="姓名", max_length=40)
    id_number = forms.CharField(
        label="身份证号码",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_number(self):
        return normalize(self.cleaned_data["number"])

    def asked(self) -> str:
        """What the verification log keeps of the number field: a certificate number as
        typed, anything else with ID-, account- and phone-like numbers masked (people
        type their ID number into the first field they see)."""
        number = self.cleaned_data["number"]
        if SKILL_LEVEL_NUMBER.fullmatch(number) or OTHER_NUMBER.fullmatch(number):
            return number
        return scrub(number)


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("verify", RATE_SETTING, methods={"POST"}, response=_html_429)
def verify_query(request):
    """Verify by certificate number + full name + ID number (like the national query)."""
    if request.method != "POST":
        return render(request, "certificates/verify_query.html", {"form": QueryForm()})
    form = QueryForm(request.POST)
    if not form.is_valid():
        return render(
            request, "certificates/verify_query.html", {"form": form}, status=400
        )
    certificate = selectors.certificate_by_query(**form.cleaned_data)
    outcome = _outcome(certificate, None)
    asked = form.asked()
    verification_record(
        channel=VerificationChannel.QUERY,
        asked=asked,
        certificate=certificate,
        outcome=outcome,
        request=request,
    )
    # The ID number is never sent back into the page, nor one typed as the number.
    typed = form.cleaned_data["number"]
    blank = QueryForm(initial={"number": typed if asked == typed else ""})
    return _page(
        request,
        certificate=certificate,
        signature=None,
        outcome=outcome,
        template="certificates/verify_query.html",
        extra={"form": blank, "asked": True},
    )


@require_GET
def public_keys(request):
    """/.well-known/certificate-keys.json: the Ed25519 keys that sign certificate QRs."""
    response = JsonResponse(public_keys_document(), json_dumps_params={"indent": 2})
    response["Cache-Control"] = f"public, max-age={settings.CERTIFICATE_KEYS_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def revocations(request):
    """/.well-known/certificate-revocations.json: the signed revocation list
    (``certificates.status_list``), for offline verifiers. Cached by clients for at most
    the time until the server rebuilds it (never longer than its TTL); the ETag makes a
    re-check cheap (304)."""
    document = status_list.revocation_document()
    etag = status_list.document_etag(document)
    left = status_list.seconds_left(status_list.unchecked_body(document))
    max_age = max(0, min(left, status_list.REGENERATE_AFTER, status_list.ttl_seconds()))
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = JsonResponse(document)
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={max_age}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _json_download(document: dict, filename: str, *, cache_seconds: int = 0):
    response = JsonResponse(
        document,
        json_dumps_params={"ensure_ascii": False, "indent": 2},
        content_type="application/json; charset=utf-8",
    )
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Access-Control-Allow-Origin"] = "*"
    if cache_seconds:
        response["Cache-Control"] = f"public, max-age={cache_seconds}"
    return response


@require_GET
def did_document(request):
    """/.well-known/did.json: the platform's did:web, every certificate key a Multikey."""
    return _json_download(
        credentials.did_document(), "", cache_seconds=settings.CERTIFICATE_KEYS_MAX_AGE
    )


@require_GET
def status_list_credential(request):
    """/.well-known/certificate-status-list.json: the revocation bits as a W3C
    BitstringStatusListCredential (what a credential's credentialStatus points at)."""
    document = credentials.status_list_credential()
    return _json_download(
        document,
        "",
        cache_seconds=min(status_list.REGENERATE_AFTER, status_list.ttl_seconds()),
    )


def _credential_response(certificate: Certificate):
    document = credentials.certificate_credential(
        certificate, verify_url=selectors.verify_url(certificate.token)
    )
    return _json_download(document, f"{certificate.number}.credential.json")


@never_cache
@require_GET
@rate_limited("verify", RATE_SETTING, response=_html_429)
def verify_credential(request, token: str):
    """/verify/<token>/credential.json: the certificate as a signed verifiable
    credential, for anyone holding its QR or link (valid certificates only)."""
    certificate = (
        Certificate.objects.filter(token=token).first()
        if selectors.TOKEN_SHAPE.fullmatch(token)
        else None
    )
    if certificate is None or certificate.display_status() != DisplayStatus.VALID:
        raise Http404("未找到有效的证书。")
    return _credential_response(certificate)


# --- the holder's own certificate files --------------------------------------------------


def _own_certificate(request, token: str) -> Certificate:
    trainee = trainee_of(request.user)
    certificate = (
        Certificate.objects.filter(token=token, trainee=trainee).first()
        if trainee is not None
        else None
    )
    if certificate is None:
        raise Http404("未找到该证书。")
    return certificate


@login_required
@require_GET
def my_certificate_pdf(request, token: str):
    certificate = _own_certificate(request, token)
    if certificate.display_status() != DisplayStatus.VALID:
        # A revoked or replaced certificate is not printed again; its page says why.
        raise Http404("该证书已失效，不能下载。")
    pdf = certificate_pdf([selectors.printed(certificate)])
    audit_record(
        actor=request.user, action="certificate.print", obj=certificate, request=request
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certificate.number}.pdf"'
    return response


@login_required
@require_GET
def my_certificate_credential(request, token: str):
    """The holder's certificate as a signed verifiable credential (JSON)."""
    certificate = _own_certificate(request, token)
    if certificate.display_status() != DisplayStatus.VALID:
        raise Http404("该证书已失效，不能下载。")
    # Not audited: like the QR image (and unlike the PDF, which prints the full name)
    # it holds only what the public verification page shows.
    return _credential_response(certificate)


@login_required
@require_GET
def my_certificate_qr(request, token: str):
    certificate = _own_certificate(request, token)
    response = HttpResponse(
        qr_png(selectors.certificate_qr_text(certificate)), content_type="image/png"
    )
    response["Content-Disposition"] = f'inline; filename="{certificate.number}-qr.png"'
    return response


@login_required
@require_GET
def my_certificate(request, token: str):
    """The holder's own certificate: the printable page with its QR."""
    certificate = _own_certificate(request, token)
    data = selectors.printed(certificate)
    return render(
        request,
        "certificates/my_certificate.html",
        {
            "certificate": certificate,
            "printed": data,
            "view": selectors.public_view(
                selectors.certificate_by_token(certificate.token)
            ),
            # Our own generated SVG (no user text in it): safe to inline.
            "qr_svg": mark_safe(qr_svg(data.qr_text)),  # noqa: S308
        },
    )
