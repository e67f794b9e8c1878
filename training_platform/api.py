"""The JSON API at /api/v1/ (django-ninja), assembled from what each app registers.

Apps contribute a :class:`ApiRoute` (a prefix and a ``ninja.Router``) on
``training_platform.extensions.api_routers`` in ``AppConfig.ready()``; :func:`get_api`
builds the one ``NinjaAPI`` from them when the URL conf loads, so this module imports
none of them. The document is at ``/api/v1/openapi.json``, the interactive docs (from
local static files, under the strict CSP) at ``/api/v1/docs``.

Every error is JSON ``{"detail": "<code>", "message": "<中文说明>"}``: raise
:class:`ApiError` in an endpoint; ninja's own 401/404/422 and Django's 413 are turned
into the same shape here. Codes: unauthorized 401, forbidden 403, not_found 404,
conflict 409, too_large 413, invalid 422, rate_limited 429.

Token auth: :class:`TokenAuth` asks each function on
``training_platform.extensions.api_token_authenticators`` (``fn(plain, request) ->
ApiPrincipal | None``) and takes the first principal; in an endpoint
``principal = request.auth``.

Pagination: query parameters ``page`` (1-based) and ``page_size`` (default 20, at most
100; larger is refused with 422 ``invalid``, not clamped, so a client never silently gets
fewer rows than it asked for); :func:`paginate` gives
``{"items", "count", "page", "page_size"}`` and :func:`page_schema` its typed schema.
"""

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db.models import QuerySet
from django.http import Http404, JsonResponse
from django.urls import URLPattern
from ninja import Field, NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import Swagger
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer
from pydantic import create_model

from training_platform.extensions import api_routers, api_token_authenticators

PREFIX = "/api/v1/"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

#: The stable codes and their default Chinese messages, by status.
CODES: dict[int, tuple[str, str]] = {
    400: ("invalid", "请求格式不正确。"),
    401: ("unauthorized", "令牌无效、已过期或已被撤销。"),
    403: ("forbidden", "无权进行此操作。"),
    404: ("not_found", "未找到。"),
    405: ("method_not_allowed", "不支持该请求方法。"),
    409: ("conflict", "与现有数据冲突。"),
    413: ("too_large", "请求内容过大。"),
    422: ("invalid", "请求参数不正确。"),
    429: ("rate_limited", "请求过于频繁，请稍后再试。"),
}
_CJK = re.compile(r"[\u4e00-\u9fff]")


# --- what apps use ------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiRoute:
    """One app's part of the API: its router, mounted at ``prefix`` under /api/v1/."""

    prefix: str
    router: Router


@dataclass(frozen=True)
class ApiPrincipal:
    """Who a valid token speaks for (``request.auth`` in a token-authenticated endpoint)."""

    token_id: int
    institution_id: int
    user: Any  # the staff user who created the token: the actor of what it does
    name: str


class ApiError(Exception):
    """Raise in an endpoint: answered as ``{"detail": code, "message": message}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class ErrorOut(Schema):
    """Every error of the API."""

    detail: str = Field(..., description="稳定的错误代码，如 not_found、invalid")
    message: str = Field(..., description="中文说明")


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``, checked by the registered authenticators."""

    def authenticate(self, request, token: str) -> ApiPrincipal | None:
        if not token:
            return None
        for authenticate in api_token_authenticators:
            principal = authenticate(token, request)
            if principal is not None:
                return principal
        return None


class PageQuery(Schema):
    """The pagination parameters; use as ``paging: Query[PageQuery]``."""

    page: int = Field(1, ge=1, description="页码，从 1 开始")
    page_size: int = Field(
        DEFAULT_PAGE_SIZE,
        ge=1,
        le=MAX_PAGE_SIZE,
        description=f"每页条数，默认 {DEFAULT_PAGE_SIZE}，最多 {MAX_PAGE_SIZE}",
    )


def paginate(
    queryset_or_list: QuerySet | Sequence,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> dict:
    """One page: ``{"items": [...], "count": N, "page": p, "page_size": s}``.

    A queryset costs two queries (count and the page). A page past the end is empty,
    not an error; a bad ``page`` or ``page_size`` is 422 ``invalid``.
    """
    if page < 1:
        raise ApiError(422, "invalid", "页码（page）须为不小于 1 的整数。")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ApiError(
            422, "invalid", f"每页条数（page_size）须在 1 到 {MAX_PAGE_SIZE} 之间。"
        )
    if isinstance(queryset_or_list, QuerySet):
        count = queryset_or_list.count()
    else:
        count = len(queryset_or_list)
    start = (page - 1) * page_size
    items = list(queryset_or_list[start : start + page_size]) if start < count else []
    return {"items": items, "count": count, "page": page, "page_size": page_size}


@functools.cache
def page_schema(item: type[Schema]) -> type[Schema]:
    """The typed page of ``item`` (named ``<Item>Page`` in the document)."""
    return create_model(
        f"{item.__name__}Page",
        __base__=Schema,
        items=(list[item], ...),
        count=(int, ...),
        page=(int, ...),
        page_size=(int, ...),
    )


# --- errors ---------------------------------------------------------------------------------


def error_body(
    status: int, code: str | None = None, message: str | None = None
) -> dict:
    default_code, default_message = CODES.get(status, ("error", "请求失败。"))
    return {"detail": code or default_code, "message": message or default_message}


def _chinese(text: str) -> str | None:
    """Our own messages are Chinese; ninja's and Django's English ones are replaced."""
    return text if text and _CJK.search(text) else None


def _field_name(loc) -> str:
    parts = [str(p) for p in loc[1:] if not isinstance(p, int)] or [str(loc[-1])]
    return ".".join(parts)


def _validation_message(errors: list[dict]) -> str:
    names = []
    for error in errors:
        name = _field_name(error.get("loc") or ("?",))
        if name not in names:
            names.append(name)
    if not names:
        return CODES[422][1]
    return "请求参数不正确：" + "、".join(names) + "。"


def _install_error_handlers(api: NinjaAPI) -> None:
    def respond(request, status: int, code=None, message=None):
        return api.create_response(
            request, error_body(status, code, message), status=status
        )

    @api.exception_handler(ApiError)
    def api_error(request, exc: ApiError):
        return respond(request, exc.status, exc.code, exc.message)

    @api.exception_handler(NinjaValidationError)
    def invalid(request, exc: NinjaValidationError):
        return respond(request, 422, "invalid", _validation_message(exc.errors))

    @api.exception_handler(AuthenticationError)
    def unauthorized(request, exc):
        return respond(request, 401)

    @api.exception_handler(AuthorizationError)
    def forbidden(request, exc):
        return respond(request, 403, "forbidden", _chinese(exc.message))

    @api.exception_handler(PermissionDenied)
    def permission_denied(request, exc):
        return respond(request, 403, "forbidden", _chinese(str(exc)))

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, 404, "not_found", _chinese(str(exc)))

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return respond(request, exc.status_code, None, _chinese(exc.message))

    @api.exception_handler(RequestDataTooBig)
    def too_large(request, exc):
        return respond(request, 413)


def _json_method_errors(view):
    """``view`` with ninja's plain-text 405 (a method the path does not take) turned
    into the API's error shape, keeping its ``Allow`` header."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code != 405 or response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return response
        refused = JsonResponse(
            error_body(405), status=405, json_dumps_params={"ensure_ascii": False}
        )
        refused["Allow"] = response.get("Allow", "")
        return refused

    return wrapped


def unknown_path(request, rest: str = ""):
    """Any other path under /api/v1/: the API's 404, not the site's HTML page."""
    return JsonResponse(
        error_body(404, "not_found", "没有这个接口。"),
        status=404,
        json_dumps_params={"ensure_ascii": False},
    )


# --- the one API ------------------------------------------------------------------------------


class _Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


class _Api(NinjaAPI):
    def _get_urls(self):
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_method_errors(pattern.callback)
        return urls

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        # Paths relative to the server (/certificates/{token}), as the document always had.
        return super().get_openapi_schema(path_prefix="", path_params=path_params)


class _Docs(Swagger):
    template = "training_platform/api_docs.html"


def build_api(routes, *, urls_namespace: str = "api") -> NinjaAPI:
    """A NinjaAPI over ``routes`` (ApiRoute items) with the project's errors and docs."""
    api = _Api(
        title="黔技通 API",
        version="1",
        description=(
            "贵州职业技能培训与评价服务平台的接口。错误一律为 "
            '`{"detail": "<代码>", "message": "<中文说明>"}`；'
            f"列表分页：page（从 1 开始）、page_size（默认 {DEFAULT_PAGE_SIZE}，"
            f"最多 {MAX_PAGE_SIZE}，超出返回 422 invalid）。"
        ),
        urls_namespace=urls_namespace,
        renderer=_Renderer(),
        docs=_Docs(),
        docs_url="/docs",
        openapi_url="/openapi.json",
        servers=[{"url": PREFIX.rstrip("/"), "description": "黔技通"}],
    )
    _install_error_handlers(api)
    for route in routes:
        api.add_router(route.prefix, route.router)
    return api


@functools.cache
def get_api() -> NinjaAPI:
    """The API, built once from the registered routers (after every app's ready())."""
    return build_api(api_routers)
