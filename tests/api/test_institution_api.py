"""机构接口 (/api/v1/institution/…): classes, enrolments and the two imports of a class
through an institution's API token. Every endpoint is tried without a token, with an
expired and a revoked one, with another institution's (404, nothing changed) and with
its own; the roster and results round trips go through the back-office's pipeline."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bases.models import ApiToken
from bases.tokens import api_token_revoke
from courses import roster_views
from courses.models import (
    AssessmentResult,
    ClassStatus,
    Enrolment,
    EnrolmentStatus,
    ImportUpload,
    UploadKind,
)
from courses.roster import ROSTER_IMPORT
from tests.courses.test_admin_courses import make_world
from tests.courses.test_results_views import passed_rows, results_file
from tests.courses.test_roster_views import fill_template, good_rows
from tests.factories import (
    EnrolmentFactory,
    TraineeFactory,
    TrainingClassFactory,
    api_token_for,
    make_id_number,
)
from training_platform import xlsx
from training_platform.imports import services as imports
from training_platform.imports.models import ImportStatus

pytestmark = pytest.mark.django_db

API = "/api/v1/institution"


@pytest.fixture(autouse=True)
def threshold(settings):
    settings.ATTENDANCE_THRESHOLD = 0.8  # the results sheets pass with 80 of 80 hours


@pytest.fixture
def world():
    w = make_world()
    for key in ("class_a", "class_b"):  # both imports are taken while a class runs
        w[key].status = ClassStatus.RUNNING
        w[key].save(update_fields=["status"])
    w["token_a"] = api_token_for(w["a"], user=w["users"]["inst_a"])[1]
    w["token_b"] = api_token_for(w["b"], user=w["users"]["inst_b"])[1]
    return w


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}


def call(client, method, path, token, **kwargs):
    send = getattr(client, method)
    return send(f"{API}{path}", **kwargs, **bearer(token))


def stored_job(cls, rows=None, kind=ROSTER_IMPORT, user=None):
    """A previewed roster upload of ``cls``, stored as the back-office stores it."""
    job = ImportUpload(training_class=cls, kind=kind.key, uploaded_by=user)
    return imports.upload_store(
        job=job, kind=kind, file=fill_template(rows or good_rows(2))
    )


def active(cls):
    return Enrolment.objects.filter(
        training_class=cls, status=EnrolmentStatus.ENROLLED
    ).count()


def error_of(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["detail"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    return body


# --- every endpoint × every kind of caller ---------------------------------------------


def _class(w, side):
    return w[f"class_{side}"]


def _job(w, side):
    return stored_job(_class(w, side), user=w["users"][f"inst_{side}"])


# (name, method, path for the objects of institution ``side``, extra kwargs, OK status)
ENDPOINTS = [
    ("classes", "get", lambda w, s: "/classes", 200),
    ("class", "get", lambda w, s: f"/classes/{_class(w, s).pk}", 200),
    ("enrolments", "get", lambda w, s: f"/classes/{_class(w, s).pk}/enrolments", 200),
    ("roster", "post", lambda w, s: f"/classes/{_class(w, s).pk}/roster", 201),
    ("results", "post", lambda w, s: f"/classes/{_class(w, s).pk}/results", 201),
    ("job", "get", lambda w, s: f"/imports/{_job(w, s).pk}", 200),
    ("errors", "get", lambda w, s: f"/imports/{_job(w, s).pk}/errors", 200),
    ("confirm", "post", lambda w, s: f"/imports/{_job(w, s).pk}/confirm", 200),
    ("discard", "post", lambda w, s: f"/imports/{_job(w, s).pk}/discard", 200),
]
ENDPOINT_IDS = [e[0] for e in ENDPOINTS]


def _body(name, w, side):
    if name == "roster":
        return {"data": {"file": fill_template(good_rows(2))}}
    if name == "results":
        enrolment = w[f"enrol_{side}"]
        return {"data": {"file": results_file(passed_rows([enrolment]))}}
    return {}


def _snapshot():
    return (
        list(ImportUpload.objects.order_by("pk").values_list("pk", "status")),
        list(
            Enrolment.objects.order_by("pk").values_list(
                "pk", "status", "attendance_hours", "result"
            )
        ),
    )


def _expired(w):
    ApiToken.objects.filter(created_by=w["users"]["inst_a"]).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    return w["token_a"]


def _revoked(w):
    token = ApiToken.objects.get(created_by=w["users"]["inst_a"])
    api_token_revoke(token=token, actor=w["users"]["inst_a"])
    return w["token_a"]


UNAUTHORIZED = {
    "none": lambda w: None,
    "malformed": lambda w: "qjt_not-a-token",
    "expired": _expired,
    "revoked": _revoked,
}


@pytest.mark.parametrize("caller", list(UNAUTHORIZED))
@pytest.mark.parametrize(("name", "method", "path", "ok"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_without_a_live_token_every_endpoint_is_401(
    client, world, caller, name, method, path, ok
):
    url = path(world, "a")
    token = UNAUTHORIZED[caller](world)
    before = _snapshot()
    response = call(client, method, url, token, **_body(name, world, "a"))
    body = error_of(response, 401, "unauthorized")
    assert body["message"] == "令牌无效、已过期或已被撤销。"
    assert _snapshot() == before


@pytest.mark.parametrize(("name", "method", "path", "ok"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_another_institutions_token_gets_404_and_changes_nothing(
    client, world, name, method, path, ok
):
    url = path(world, "a")  # institution A's objects, B's token
    before = _snapshot()
    response = call(client, method, url, world["token_b"], **_body(name, world, "a"))
    if name == "classes":  # a list: B's own classes, none of A's
        assert response.status_code == 200
        codes = [c["code"] for c in response.json()["items"]]
        assert codes == [world["class_b"].code]
    else:
        body = error_of(response, 404, "not_found")
        missing_url = url.replace(f"/{_id_in(url)}", "/999999")
        missing = call(
            client, method, missing_url, world["token_b"], **_body(name, world, "a")
        )
        assert missing.status_code == 404
        assert missing.json() == body  # the same answer as an id that does not exist
    assert _snapshot() == before


def _id_in(url):
    return [int(part) for part in url.split("/") if part.isdigit()][0]


@pytest.mark.parametrize(("name", "method", "path", "ok"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_own_token_reaches_every_endpoint(client, world, name, method, path, ok):
    url = path(world, "a")
    response = call(client, method, url, world["token_a"], **_body(name, world, "a"))
    assert response.status_code == ok, response.content
    text = response.content.decode()
    assert world["class_b"].code not in text  # nothing of institution B, ever
    assert world["enrol_b"].trainee.name not in text


# --- classes and enrolments --------------------------------------------------------------


def test_classes_list_filters_and_pages(client, world):
    course = world["course_a"]
    TrainingClassFactory(
        course=course,
        code="GY-2025",
        status=ClassStatus.OPEN,
        start_date=dt.date(2025, 3, 1),
        end_date=dt.date(2025, 4, 1),
    )
    token = world["token_a"]
    body = call(client, "get", "/classes", token).json()
    assert body["count"] == 2
    assert body["page"] == 1
    assert body["page_size"] == 20
    assert {c["code"] for c in body["items"]} == {"GY-0001", "GY-2025"}
    item = next(c for c in body["items"] if c["code"] == "GY-2025")
    assert item["status"] == "open"
    assert item["status_label"] == "报名中"
    assert item["course_title"] == "电工培训甲"

    open_only = call(client, "get", "/classes?status=open", token).json()
    assert [c["code"] for c in open_only["items"]] == ["GY-2025"]
    in_2025 = call(client, "get", "/classes?year=2025", token).json()
    assert "GY-2025" in [c["code"] for c in in_2025["items"]]
    paged = call(client, "get", "/classes?page=2&page_size=1", token).json()
    assert paged["count"] == 2
    assert len(paged["items"]) == 1
    error_of(call(client, "get", "/classes?page_size=101", token), 422, "invalid")
    error_of(call(client, "get", "/classes?status=nonsense", token), 422, "invalid")


def test_enrolments_show_names_and_masked_id_numbers(client, world):
    enrolment = world["enrol_a"]
    enrolment.score = 88
    enrolment.result = AssessmentResult.PASSED
    enrolment.save(update_fields=["score", "result"])
    url = f"/classes/{world['class_a'].pk}/enrolments"
    response = call(client, "get", url, world["token_a"])
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (item,) = body["items"]
    trainee = enrolment.trainee
    assert item["name"] == "贵阳学员甲"
    assert item["id_number"] == trainee.masked_id_number
    assert "*" in item["id_number"]
    assert trainee.id_number not in response.content.decode()
    assert item["result"] == "passed"
    assert item["result_label"] == "合格"
    assert item["score"] == "88.0"
    assert item["status"] == "enrolled"


def _queries(call_it) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = call_it()
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_counts_do_not_grow_with_the_data(client, world):
    token = world["token_a"]
    cls = world["class_a"]
    job = stored_job(cls, rows=[["某人", "123", "", "", "", ""]])

    def counts():
        return (
            _queries(lambda: call(client, "get", "/classes", token)),
            _queries(
                lambda: call(client, "get", f"/classes/{cls.pk}/enrolments", token)
            ),
            _queries(lambda: call(client, "get", f"/imports/{job.pk}/errors", token)),
        )

    counts()  # warm up (the token's last use is written at most once a minute)
    few = counts()
    for n in range(15):
        TrainingClassFactory(course=world["course_a"])
        EnrolmentFactory(
            training_class=cls,
            trainee=TraineeFactory(id_number=make_id_number("520102", seq=300 + n)),
        )
    job = stored_job(cls, rows=[["某人", "123", "", "", "", ""]] * 15)
    many = counts()
    assert many == few


# --- the roster round trip ---------------------------------------------------------------


def test_roster_round_trip(client, world):
    cls = world["class_a"]
    token = world["token_a"]
    before = active(cls)
    rows = good_rows(3)
    bad = [*rows[:2], ["学员坏", "5201021990", "13900001111", "", "", ""]]

    response = call(
        client,
        "post",
        f"/classes/{cls.pk}/roster",
        token,
        data={"file": fill_template(bad)},
    )
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["kind"] == UploadKind.ROSTER
    assert job["status"] == "previewed"
    assert job["class_id"] == cls.pk
    assert job["row_count"] == 3
    assert job["error_count"] == 1
    first = job["id"]
    stored = ImportUpload.objects.get(pk=first)
    assert stored.uploaded_by == world["users"]["inst_a"]  # the token's creator
    assert stored.file

    polled = call(client, "get", f"/imports/{first}", token).json()
    assert polled == job
    errors = call(client, "get", f"/imports/{first}/errors", token).json()
    assert errors["count"] == 1
    (error,) = errors["items"]
    assert error["row"] == 4  # the header is row 1
    assert error["column"] == "身份证号码"
    assert error["message"]
    body = error_of(
        call(client, "post", f"/imports/{first}/confirm", token), 409, "conflict"
    )
    assert body["message"] == "文件有错误，请改正后重新上传。"
    assert active(cls) == before

    response = call(
        client,
        "post",
        f"/classes/{cls.pk}/roster",
        token,
        data={"file": fill_template(rows)},
    )
    assert response.status_code == 201
    fixed = response.json()
    assert fixed["error_count"] == 0
    assert fixed["counts"]["created_trainees"] == 3
    assert fixed["counts"]["enrolled"] == 3
    assert active(cls) == before  # a preview writes nothing

    done = call(client, "post", f"/imports/{fixed['id']}/confirm", token)
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "done"
    assert done.json()["counts"]["enrolled"] == 3
    assert done.json()["progress"] == 3
    assert active(cls) == before + 3
    assert not ImportUpload.objects.get(pk=fixed["id"]).file  # personal data gone

    # Idempotent: confirming again imports nothing and says so.
    again = error_of(
        call(client, "post", f"/imports/{fixed['id']}/confirm", token), 409, "conflict"
    )
    assert "已确认" in again["message"]
    assert active(cls) == before + 3

    # The first, faulty upload is given up: file deleted, job expired.
    discarded = call(client, "post", f"/imports/{first}/discard", token)
    assert discarded.status_code == 200
    assert discarded.json()["status"] == "expired"
    assert not ImportUpload.objects.get(pk=first).file
    error_of(call(client, "post", f"/imports/{first}/confirm", token), 409, "conflict")
    error_of(call(client, "post", f"/imports/{first}/discard", token), 409, "conflict")

    listed = call(client, "get", f"/classes/{cls.pk}/enrolments?page_size=100", token)
    items = listed.json()["items"]
    assert {i["name"] for i in items} >= {"学员0", "学员1", "学员2"}
    text = listed.content.decode()
    for row in rows:
        assert row[1] not in text  # ID numbers only masked
    assert all("*" in i["id_number"] for i in items)


def test_the_same_roster_twice_enrols_once(client, world):
    cls = world["class_a"]
    token = world["token_a"]
    before = active(cls)
    ids = []
    rows = good_rows(2)
    for _ in range(2):
        file = fill_template(rows)
        job = call(
            client, "post", f"/classes/{cls.pk}/roster", token, data={"file": file}
        )
        ids.append(job.json()["id"])
        done = call(client, "post", f"/imports/{ids[-1]}/confirm", token).json()
        assert done["status"] == "done"
    assert active(cls) == before + 2
    second = ImportUpload.objects.get(pk=ids[1])
    assert second.summary["already_enrolled"] == 2


def test_a_large_roster_is_imported_in_the_background(client, world, monkeypatch):
    monkeypatch.setattr(roster_views, "SYNC_ROW_LIMIT", 1)
    cls = world["class_a"]
    token = world["token_a"]
    before = active(cls)
    file = fill_template(good_rows(3))
    job = call(client, "post", f"/classes/{cls.pk}/roster", token, data={"file": file})
    assert job.status_code == 201
    assert job.json()["counts"] == {}  # checked by the background run
    response = call(client, "post", f"/imports/{job.json()['id']}/confirm", token)
    assert response.status_code == 202
    # The tests' task backend runs at once: the job as polled is done.
    polled = call(client, "get", f"/imports/{job.json()['id']}", token).json()
    assert polled["status"] == "done"
    assert polled["progress"] == polled["row_count"] == 3
    assert polled["counts"]["enrolled"] == 3
    assert active(cls) == before + 3


# --- the results round trip ----------------------------------------------------------------


def test_results_round_trip(client, world):
    cls = world["class_a"]
    token = world["token_a"]
    enrolments = [world["enrol_a"]] + [
        EnrolmentFactory(training_class=cls, trainee=TraineeFactory(name=name))
        for name in ("贵阳学员乙", "贵阳学员丙")
    ]
    file = results_file(passed_rows(enrolments))
    response = call(
        client, "post", f"/classes/{cls.pk}/results", token, data={"file": file}
    )
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["kind"] == UploadKind.RESULTS
    assert job["error_count"] == 0
    assert job["counts"]["updated"] == 3
    assert all(not e.result for e in Enrolment.objects.filter(training_class=cls))

    done = call(client, "post", f"/imports/{job['id']}/confirm", token)
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    listed = call(client, "get", f"/classes/{cls.pk}/enrolments", token).json()
    assert {i["result"] for i in listed["items"]} == {"passed"}
    assert {i["attendance_hours"] for i in listed["items"]} == {"80.0"}
    error_of(
        call(client, "post", f"/imports/{job['id']}/confirm", token), 409, "conflict"
    )


# --- refusals ------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_413(client, world, monkeypatch):
    monkeypatch.setattr(xlsx, "DEFAULT_LIMITS", xlsx.Limits(max_bytes=1024))
    cls = world["class_a"]
    file = fill_template(good_rows(50))
    assert file.size > 1024
    response = call(
        client,
        "post",
        f"/classes/{cls.pk}/roster",
        world["token_a"],
        data={"file": file},
    )
    body = error_of(response, 413, "too_large")
    assert "文件太大" in body["message"]
    assert not ImportUpload.objects.exists()


def test_unreadable_or_empty_files_are_422(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    cls = world["class_a"]
    url = f"/classes/{cls.pk}/roster"
    token = world["token_a"]
    csv = SimpleUploadedFile("花名册.xlsx", b"name,id\n", content_type="text/csv")
    body = error_of(
        call(client, "post", url, token, data={"file": csv}), 422, "invalid"
    )
    assert "文件不是有效的 Excel 工作簿" in body["message"]
    empty = fill_template([])
    body = error_of(
        call(client, "post", url, token, data={"file": empty}), 422, "invalid"
    )
    assert body["message"] == ROSTER_IMPORT.empty_message
    error_of(call(client, "post", url, token, data={}), 422, "invalid")
    assert not ImportUpload.objects.exists()


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("roster", ClassStatus.FILED),
        ("roster", ClassStatus.FINISHED),
        ("results", ClassStatus.OPEN),
    ],
)
def test_a_class_not_taking_the_import_is_409(client, world, kind, status):
    cls = world["class_a"]
    cls.status = status
    cls.save(update_fields=["status"])
    file = (
        fill_template(good_rows(1))
        if kind == "roster"
        else results_file(passed_rows([world["enrol_a"]]))
    )
    response = call(
        client,
        "post",
        f"/classes/{cls.pk}/{kind}",
        world["token_a"],
        data={"file": file},
    )
    body = error_of(response, 409, "conflict")
    screen = (
        roster_views.ROSTER_IMPORT if kind == "roster" else roster_views.RESULTS_IMPORT
    )
    assert body["message"] == screen.closed_note
    assert not ImportUpload.objects.exists()


def test_a_job_that_is_running_cannot_be_discarded(client, world):
    job = stored_job(world["class_a"], user=world["users"]["inst_a"])
    ImportUpload.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    response = call(client, "post", f"/imports/{job.pk}/discard", world["token_a"])
    error_of(response, 409, "conflict")
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING
    assert job.file


def test_the_openapi_document_lists_the_institution_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/institution/classes",
        "/institution/classes/{class_id}",
        "/institution/classes/{class_id}/enrolments",
        "/institution/classes/{class_id}/roster",
        "/institution/classes/{class_id}/results",
        "/institution/imports/{job_id}",
        "/institution/imports/{job_id}/errors",
        "/institution/imports/{job_id}/confirm",
        "/institution/imports/{job_id}/discard",
    ):
        assert path in paths, path
    # Named apart from the public catalogue's schemas (ninja keys components by name).
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "region_code" in schemas["OwnClassOut"]["properties"]
    assert "ClassOut" in schemas  # the public one, untouched
    assert "region_code" not in schemas["ClassOut"]["properties"]
    upload = paths["/institution/classes/{class_id}/roster"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert upload["security"]


# --- upload_discard (the pipeline's service) --------------------------------------------


def test_upload_discard_deletes_the_file_once(world):
    job = stored_job(world["class_a"], user=world["users"]["inst_a"])
    storage = job.file.storage
    name = job.file.name
    assert storage.exists(name)
    assert imports.upload_discard(job) == "discarded"
    job.refresh_from_db()
    assert job.status == ImportStatus.EXPIRED
    assert job.finished_at is not None
    assert not job.file
    assert not storage.exists(name)
    assert imports.upload_discard(job) == "finished"
    # An expired job cannot be confirmed any more.
    outcome = imports.upload_confirm(job=job, kind=ROSTER_IMPORT, task=None)
    assert outcome == "not_previewed"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (ImportStatus.QUEUED, "pending"),
        (ImportStatus.RUNNING, "pending"),
        (ImportStatus.DONE, "finished"),
        (ImportStatus.REFUSED, "discarded"),
        (ImportStatus.FAILED, "discarded"),
    ],
)
def test_upload_discard_by_status(world, status, outcome):
    job = stored_job(world["class_a"], user=world["users"]["inst_a"])
    ImportUpload.objects.filter(pk=job.pk).update(status=status)
    assert imports.upload_discard(job) == outcome
    job.refresh_from_db()
    if outcome == "discarded":
        assert job.status == ImportStatus.EXPIRED
        assert not job.file
    else:
        assert job.status == status
        assert job.file


@pytest.mark.parametrize(
    "path",
    [
        "/classes/99999999999999999999999",
        "/imports/99999999999999999999999",
        "/imports/99999999999999999999999/errors",
    ],
)
def test_ids_beyond_any_row_are_404_not_500(client, world, path):
    error_of(call(client, "get", path, world["token_a"]), 404, "not_found")
