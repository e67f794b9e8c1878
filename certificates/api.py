"""GET /api/v1/certificates/{token}: certificate verification for machines (a ninja router).

The public view of the QR landing page as JSON; unknown and malformed tokens get the same
404, a QR signature (``?s=``) that does not match is 404 ``tampered``. Shares the "verify"
rate limit with the pages (429 JSON with Retry-After). Registered on
``training_platform.extensions.api_routers`` in ``CertificatesConfig.ready()``.
"""

from django.http import HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from ninja import Field, Query, Router, Schema, Status

from certificates import selectors
from certificates.models import VerificationChannel, VerificationOutcome
from certificates.views import RATE_SETTING, _verify
from training_platform.api import ApiRoute, ErrorOut, error_body
from training_platform.ratelimit import rate_limited

router = Router(tags=["证书核验"])


class SignatureCheck(Schema):
    genuine: bool
    reason: str


class CertificateVerification(Schema):
    """证书的公开信息：持证人姓名和证件号码均已脱敏，不含其他个人信息。"""

    status: str = Field(..., description="valid, expired, revoked 或 superseded")
    status_label: str
    number: str
    kind: str = Field(
        ...,
        description="qualification, skill_level, special_ability, training 或 competition",
    )
    kind_label: str
    occupation_code: str = Field(..., examples=["6-31-01-03"])
    occupation_name: str
    level: str = Field(..., description="1–5, T, C 或空")
    level_label: str
    issuer: str
    issued_on: str = Field(..., description="YYYY-MM-DD")
    expires_on: str | None = Field(..., description="YYYY-MM-DD；长期有效为 null")
    holder_name: str = Field(..., examples=["王**"])
    holder_id: str = Field(..., examples=["52**************3X"])
    revoked_on: str | None = None
    revoked_reason: str | None = None
    superseded_by_number: str | None = None
    superseded_by_url: str | None = None
    signature: SignatureCheck | None = Field(
        None, description="仅当请求带有二维码签名（s）时出现"
    )


class CertificateNotFound(Schema):
    """未找到（detail=not_found），或二维码签名无效（detail=tampered）。"""

    detail: str = Field(..., description="not_found 或 tampered")
    message: str
    signature: SignatureCheck | None = Field(
        None, description="仅当请求带有二维码签名（s）时出现"
    )


def _api_429(retry_after: int):
    response = JsonResponse(error_body(429), status=429)
    response["Retry-After"] = str(retry_after)
    add_never_cache_headers(response)
    return response


@router.get(
    "/{token}",
    response={200: CertificateVerification, 404: CertificateNotFound, 429: ErrorOut},
    url_name="api_certificate",
    operation_id="verifyCertificate",
    summary="核验证书（二维码中的核验码）",
    description="未知与格式错误的核验码同样回答 404；请求过于频繁时 429，见 Retry-After。",
    exclude_unset=True,
)
@rate_limited("verify", RATE_SETTING, response=_api_429)
def api_certificate(
    request,
    response: HttpResponse,
    token: str,
    # certificates.signing.QR_PARAM; _verify reads it from request.GET itself.
    s: str | None = Query(
        None, description="二维码中的签名内容（见 /.well-known/certificate-keys.json）"
    ),
):
    add_never_cache_headers(response)
    certificate, signature, outcome = _verify(request, token, VerificationChannel.API)
    body: dict = {}
    if signature is not None:
        body["signature"] = {"genuine": signature.genuine, "reason": signature.reason}
    if outcome == VerificationOutcome.TAMPERED:
        body.update(detail="tampered", message="二维码签名无效，内容可能被篡改。")
        return Status(404, body)
    if certificate is None:
        body.update(detail="not_found", message="未找到该证书。")
        return Status(404, body)
    body.update(selectors.public_view(certificate).as_dict())
    return Status(200, body)


ROUTE = ApiRoute("/certificates", router)
