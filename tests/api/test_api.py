"""/api/v1/: one error shape, token auth, pagination bounds, the document and the docs."""

import re

import pytest
from django.test import override_settings

from certificates import api as certificates_api
from training_platform.api import (
    MAX_PAGE_SIZE,
    ApiPrincipal,
    ApiRoute,
    get_api,
    paginate,
)
from training_platform.extensions import api_routers, api_token_authenticators

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "message"}
    assert body["detail"] == code
    assert re.search(r"[\u4e00-\u9fff]", body["message"]), body["message"]
    return body


# --- the error shape ------------------------------------------------------------------------


def test_404_of_an_unknown_certificate(client):
    body = assert_error(client.get("/api/v1/certificates/nope"), 404, "not_found")
    assert body["message"] == "未找到该证书。"


def test_a_method_the_path_does_not_take_is_a_json_405(client):
    for response in (
        client.post("/api/v1/courses"),
        client.delete("/api/v1/certificates/nope"),
    ):
        assert_error(response, 405, "method_not_allowed")
        assert "GET" in response["Allow"]


def test_an_unknown_api_path_is_a_json_404(client):
    for path in ("/api/v1/nothing", "/api/v1/nothing/", "/api/v1/courses/extra/"):
        body = assert_error(client.get(path), 404, "not_found")
        assert body["message"] == "没有这个接口。"


def test_422_names_the_parameter_in_chinese(client):
    body = assert_error(client.get("/api/v1/courses?page=0"), 422, "invalid")
    assert "page" in body["message"]
    body = assert_error(client.get("/api/v1/classes?page_size=abc"), 422, "invalid")
    assert "page_size" in body["message"]
    body = assert_error(client.get("/api/v1/classes?kind=nonsense"), 422, "invalid")
    assert "kind" in body["message"]


@override_settings(CERTIFICATE_VERIFY_RATE="2/60")
def test_429_is_json_with_retry_after(client):
    for _ in range(2):
        assert client.get("/api/v1/certificates/nope").status_code == 404
    response = client.get("/api/v1/certificates/nope")
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60


@pytest.mark.urls("tests.api.probe_urls")
def test_401_without_a_token_or_with_a_bad_one(client):
    body = assert_error(client.get("/probe/v1/probe/private"), 401, "unauthorized")
    assert body["message"] == "令牌无效、已过期或已被撤销。"
    response = client.get(
        "/probe/v1/probe/private", HTTP_AUTHORIZATION="Bearer qjt_unknown"
    )
    assert_error(response, 401, "unauthorized")


@pytest.mark.urls("tests.api.probe_urls")
def test_the_first_authenticator_with_a_principal_wins(client, django_user_model):
    user = django_user_model.objects.create(username="api-actor")
    seen = []

    def nobody(plain, request):
        seen.append(("nobody", plain))
        return None

    def known(plain, request):
        seen.append(("known", plain))
        if plain == "qjt_good":
            return ApiPrincipal(token_id=7, institution_id=3, user=user, name="对接")
        return None

    with api_token_authenticators.register_temporarily(nobody, known):
        ok = client.get("/probe/v1/probe/private", HTTP_AUTHORIZATION="Bearer qjt_good")
        bad = client.get("/probe/v1/probe/private", HTTP_AUTHORIZATION="Bearer qjt_bad")
    assert ok.status_code == 200
    assert ok.json() == {"name": "对接", "institution_id": 3}
    assert seen[:2] == [("nobody", "qjt_good"), ("known", "qjt_good")]
    assert_error(bad, 401, "unauthorized")


@pytest.mark.urls("tests.api.probe_urls")
def test_api_error_http404_and_body_errors_share_the_shape(client):
    body = assert_error(client.get("/probe/v1/probe/conflict"), 409, "conflict")
    assert body["message"] == "该班级已有同名学员。"
    # Django's English 404 text is not passed on.
    body = assert_error(client.get("/probe/v1/probe/missing"), 404, "not_found")
    assert "TrainingClass" not in body["message"]
    response = client.post(
        "/probe/v1/probe/upload", '{"name": "甲"}', content_type="application/json"
    )
    assert "count" in assert_error(response, 422, "invalid")["message"]
    response = client.post(
        "/probe/v1/probe/upload", "{not json", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert response.json()["detail"] == "invalid"
    ok = client.post(
        "/probe/v1/probe/upload",
        '{"name": "甲", "count": 2}',
        content_type="application/json",
    )
    assert ok.json() == {"name": "甲", "count": 2}


@pytest.mark.urls("tests.api.probe_urls")
@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_413_when_the_body_is_too_large(client):
    body = '{"name": "%s", "count": 1}' % ("x" * 500)
    response = client.post(
        "/probe/v1/probe/upload", body, content_type="application/json"
    )
    assert_error(response, 413, "too_large")


# --- pagination -----------------------------------------------------------------------------


def test_page_size_over_the_maximum_is_refused_not_clamped(client):
    # Documented choice: 422 invalid, so a client never silently gets fewer rows.
    assert_error(
        client.get(f"/api/v1/classes?page_size={MAX_PAGE_SIZE + 1}"), 422, "invalid"
    )
    assert client.get(f"/api/v1/classes?page_size={MAX_PAGE_SIZE}").status_code == 200
    assert_error(client.get("/api/v1/classes?page_size=0"), 422, "invalid")
    assert_error(client.get("/api/v1/courses?page=-1"), 422, "invalid")


def test_paginate_bounds_and_a_page_past_the_end():
    rows = list(range(45))
    assert paginate(rows, 1, 20) == {
        "items": list(range(20)),
        "count": 45,
        "page": 1,
        "page_size": 20,
    }
    assert paginate(rows, 3, 20)["items"] == [40, 41, 42, 43, 44]
    assert paginate(rows, 4, 20)["items"] == []
    from training_platform.api import ApiError

    for page, size in ((0, 20), (1, 0), (1, MAX_PAGE_SIZE + 1)):
        with pytest.raises(ApiError) as caught:
            paginate(rows, page, size)
        assert caught.value.status == 422 and caught.value.code == "invalid"


# --- the document and the docs ----------------------------------------------------------------


def test_openapi_document_lists_the_public_operations(client):
    document = client.get("/api/v1/openapi.json").json()
    assert document["info"]["title"] == "黔技通 API"
    assert document["servers"][0]["url"] == "/api/v1"
    assert {"/certificates/{token}", "/courses", "/classes"} <= set(document["paths"])
    for path in ("/courses", "/classes"):
        operation = document["paths"][path]["get"]
        names = {p["name"] for p in operation["parameters"]}
        assert {"page", "page_size", "q", "occupation", "region", "sort"} <= names
        assert {"200", "422"} <= set(operation["responses"])
    assert "ErrorOut" in document["components"]["schemas"]


def test_routers_come_from_the_extension_point():
    assert certificates_api.ROUTE in api_routers
    assert all(isinstance(route, ApiRoute) for route in api_routers)
    assert get_api() is get_api()  # built once


def test_docs_page_is_local_and_under_the_strict_csp(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", policy).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(url.startswith("/static/") for url in urls), urls
    assert "/static/ninja/swagger-ui-bundle.js" in urls
    assert "/static/ninja/swagger-ui-init.js" in urls
    # The only inline <script> is the JSON settings block, which never runs.
    for attrs, _content in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        assert "src=" in attrs or 'type="application/json"' in attrs
    assert "/api/v1/openapi.json" in html


def test_the_docs_static_files_exist():
    from django.contrib.staticfiles import finders

    for name in ("swagger-ui-bundle.js", "swagger-ui-init.js", "swagger-ui.css"):
        assert finders.find(f"ninja/{name}"), name


@pytest.mark.urls("tests.api.probe_urls")
def test_the_fuzz_runs_bearer_is_a_real_token(client, bearer):
    # tests/api/conftest.py's bearer: what the fuzz sends to token-authenticated operations.
    response = client.get(
        "/probe/v1/probe/private", HTTP_AUTHORIZATION=bearer["Authorization"]
    )
    assert response.status_code == 200, response.content
    assert response.json()["institution_id"] > 0
