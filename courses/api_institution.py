"""机构接口: what an institution's own systems do through the API, with a token the
institution's staff created (``bases.ApiToken``; ``training_platform.api.TokenAuth``).

* Classes and enrolments of the token's institution, paginated (ID numbers masked,
  names in full as the institution's staff see them in the back-office).
* Imports of a class (花名册 and 出勤和考核结果): upload → job → poll → row errors →
  confirm or discard. The same ``ImportScreen`` objects as the back-office
  (``courses.roster_views``), the same pipeline services
  (``training_platform.imports.services``) and the same background task: the same
  checks, preview and idempotence. The actor is the token's creator
  (``request.auth.user``): only the institution's staff may import (403), and the
  kind's own ``authorize`` runs when the import runs.

Scoping: every object is looked up within the token's institution; another
institution's class, job or person answers 404 ``not_found``, the same body as a
missing id.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile

from courses import roster_views
from courses.models import (
    ClassStatus,
    Enrolment,
    ImportUpload,
    TrainingClass,
)
from courses.policies import is_class_staff
from courses.roster_views import ImportScreen
from courses.tasks import KINDS, upload_import_task
from training_platform import xlsx
from training_platform.api import (
    ApiError,
    ErrorOut,
    PageQuery,
    TokenAuth,
    page_schema,
    paginate,
)
from training_platform.imports import services as imports

router = Router(tags=["机构接口"], auth=TokenAuth())

# The imports a class takes, by the path segment (and ``ImportUpload.kind``).
SCREENS: dict[str, ImportScreen] = {
    roster_views.ROSTER_IMPORT.kind.key: roster_views.ROSTER_IMPORT,
    roster_views.RESULTS_IMPORT.kind.key: roster_views.RESULTS_IMPORT,
}
# XlsxRefused codes that mean "too big" (413); every other refusal is 422.
TOO_LARGE_CODES = frozenset({"too_large", "too_many_rows", "too_many_columns"})

NOT_FOUND = "未找到，或不属于本机构。"
ERRORS_MESSAGE = "文件有错误，请改正后重新上传。"
NOT_PREVIEWED = "该导入已确认、已丢弃或已过期，不能再确认。"
PENDING_MESSAGE = "该导入正在进行，不能丢弃。"
FINISHED_MESSAGE = "该导入已完成、已丢弃或已过期。"


# --- schemas -------------------------------------------------------------------------


class OwnClassOut(Schema):
    id: int
    code: str
    course_id: int
    course_title: str
    course_kind: str
    status: str
    status_label: str
    region_code: str
    start_date: dt.date
    end_date: dt.date
    capacity: int
    seats_taken: int

    @staticmethod
    def resolve_course_title(obj) -> str:
        return obj.course.title

    @staticmethod
    def resolve_course_kind(obj) -> str:
        return obj.course.kind

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_region_code(obj) -> str:
        return obj.region_id


class OwnEnrolmentOut(Schema):
    id: int
    name: str
    id_number: str  # masked: 5201**********1234
    status: str
    status_label: str
    source: str
    enrolled_at: dt.datetime
    attendance_hours: str  # decimal, e.g. "64.0"
    score: str | None  # decimal or null
    result: str  # passed / failed / absent, or ""
    result_label: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.trainee.name

    @staticmethod
    def resolve_id_number(obj) -> str:
        return obj.trainee.masked_id_number

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_attendance_hours(obj) -> str:
        return str(obj.attendance_hours)

    @staticmethod
    def resolve_score(obj) -> str | None:
        return None if obj.score is None else str(obj.score)

    @staticmethod
    def resolve_result_label(obj) -> str:
        return obj.get_result_display() if obj.result else ""


class ImportJobOut(Schema):
    id: int
    class_id: int
    kind: str  # roster / results
    status: str  # previewed / queued / running / done / refused / failed / expired
    status_label: str
    progress: int  # rows read by the import so far
    row_count: int  # data rows in the file
    counts: dict[str, int]  # the kind's counts (a preview's "would", a result's "did")
    error_count: int
    message: str  # why a whole file was refused, if it was
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_class_id(obj) -> int:
        return obj.training_class_id

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_counts(obj) -> dict[str, int]:
        summary = obj.summary or {}
        keys = (*KINDS[obj.kind].counts, "skipped", "warnings")
        return {k: int(summary[k]) for k in keys if k in summary}

    @staticmethod
    def resolve_error_count(obj) -> int:
        return obj.error_count

    @staticmethod
    def resolve_message(obj) -> str:
        return str((obj.summary or {}).get("message", ""))


class ImportRowErrorOut(Schema):
    row: int  # the Excel row number; 0: the whole file
    column: str  # the column's header, or ""
    message: str


class OwnClassFilters(PageQuery):
    status: ClassStatus | None = Field(None, description="培训班状态")
    year: int | None = Field(None, ge=2000, le=2100, description="开班年份")


# --- lookups -------------------------------------------------------------------------


def _institution_id(request) -> int:
    return request.auth.institution_id


def _classes(request) -> QuerySet:
    return TrainingClass.objects.select_related("course").filter(
        course__institution_id=_institution_id(request)
    )


def _class(request, class_id: int) -> TrainingClass:
    training_class = _classes(request).filter(pk=class_id).first()
    if training_class is None:
        raise ApiError(404, "not_found", NOT_FOUND)
    return training_class


def _job(request, job_id: int) -> ImportUpload:
    job = (
        ImportUpload.objects.select_related("training_class__course", "uploaded_by")
        .filter(
            pk=job_id,
            training_class__course__institution_id=_institution_id(request),
        )
        .first()
    )
    if job is None:
        raise ApiError(404, "not_found", NOT_FOUND)
    return job


def _require_staff(request, training_class, screen: ImportScreen) -> None:
    """As the back-office: only the institution's staff import (the token's creator)."""
    actor = request.auth.user
    if not is_class_staff(actor, training_class):
        raise ApiError(403, "forbidden", f"只有本机构的工作人员可以导入{screen.noun}。")
    try:
        screen.kind.authorize(actor=actor, target=training_class)
    except PermissionDenied as exc:
        raise ApiError(403, "forbidden", str(exc) or "没有权限导入。") from None


# --- classes and enrolments ----------------------------------------------------------

ERRORS_401_404 = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.get(
    "/classes",
    response={200: page_schema(OwnClassOut), 401: ErrorOut, 422: ErrorOut},
    summary="本机构的培训班",
)
def class_list(request, filters: Query[OwnClassFilters]):
    """The token's institution's classes, newest first; ``status`` and ``year`` (the
    year the class starts) filter them."""
    queryset = _classes(request).order_by("-start_date", "code", "pk")
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.year:
        queryset = queryset.filter(start_date__year=filters.year)
    return paginate(queryset, filters.page, filters.page_size)


@router.get(
    "/classes/{class_id}",
    response={200: OwnClassOut, **ERRORS_401_404},
    summary="培训班",
)
def class_detail(request, class_id: int):
    return _class(request, class_id)


@router.get(
    "/classes/{class_id}/enrolments",
    response={200: page_schema(OwnEnrolmentOut), **ERRORS_401_404},
    summary="培训班的报名学员",
)
def class_enrolments(request, class_id: int, params: Query[PageQuery]):
    """The class's enrolments (withdrawn ones included, by ``status``): the name in
    full, the ID number masked, attendance, score and result."""
    training_class = _class(request, class_id)
    queryset = (
        Enrolment.objects.filter(training_class=training_class)
        .select_related("trainee")
        .order_by("enrolled_at", "pk")
    )
    return paginate(queryset, params.page, params.page_size)


# --- imports -------------------------------------------------------------------------

UPLOAD_RESPONSES = {
    201: ImportJobOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
}


def _upload(request, class_id: int, file, screen: ImportScreen):
    training_class = _class(request, class_id)
    _require_staff(request, training_class, screen)
    if training_class.status not in screen.class_statuses:
        raise ApiError(409, "conflict", screen.closed_note)
    limit = xlsx.DEFAULT_LIMITS.max_bytes  # as the back-office form (ImportFileForm)
    if file.size > limit:
        raise ApiError(
            413,
            "too_large",
            f"文件太大，上限为 {limit // 1024 // 1024} MB。请拆分后分批上传。",
        )
    job = ImportUpload(
        training_class=training_class,
        kind=screen.kind.key,
        uploaded_by=request.auth.user,
    )
    try:
        imports.upload_store(
            job=job,
            kind=screen.kind,
            file=file,
            sync_limit=roster_views.SYNC_ROW_LIMIT,
        )
    except xlsx.XlsxRefused as exc:
        status, code = (
            (413, "too_large") if exc.code in TOO_LARGE_CODES else (422, "invalid")
        )
        raise ApiError(status, code, "；".join(exc.messages)) from None
    except ValidationError as exc:
        raise ApiError(422, "invalid", "；".join(exc.messages)) from None
    imports.upload_cleanup_some(ImportUpload, limit=roster_views.CLEANUP_BATCH)
    return Status(201, job)


@router.post(
    "/classes/{class_id}/roster",
    response=UPLOAD_RESPONSES,
    summary="上传花名册",
)
def roster_upload(request, class_id: int, file: File[UploadedFile]):
    """Read and check a roster (.xlsx, multipart field ``file``), keep it, and answer
    the import job in ``previewed``: counts and ``error_count`` say what confirming
    would do; nothing is written until it is confirmed."""
    return _upload(request, class_id, file, roster_views.ROSTER_IMPORT)


@router.post(
    "/classes/{class_id}/results",
    response=UPLOAD_RESPONSES,
    summary="上传出勤和考核结果",
)
def results_upload(request, class_id: int, file: File[UploadedFile]):
    """As the roster, for a results sheet (the class must have started)."""
    return _upload(request, class_id, file, roster_views.RESULTS_IMPORT)


@router.get(
    "/imports/{job_id}",
    response={200: ImportJobOut, **ERRORS_401_404},
    summary="导入任务",
)
def import_detail(request, job_id: int):
    """Poll a job: status, progress (rows read) and counts."""
    return _job(request, job_id)


@router.get(
    "/imports/{job_id}/errors",
    response={200: page_schema(ImportRowErrorOut), **ERRORS_401_404},
    summary="导入任务的错误行",
)
def import_errors(request, job_id: int, params: Query[PageQuery]):
    """The errors found, by row (at most the first 1,000 are kept; ``error_count`` on
    the job is the total)."""
    job = _job(request, job_id)
    errors = (job.summary or {}).get("errors") or []
    return paginate(list(errors), params.page, params.page_size)


@router.post(
    "/imports/{job_id}/confirm",
    response={200: ImportJobOut, 202: ImportJobOut, 403: ErrorOut, 409: ErrorOut}
    | ERRORS_401_404,
    summary="确认导入",
)
def import_confirm(request, job_id: int):
    """Import a previewed job without errors: now (200, ``done`` or ``refused`` if
    the class changed meanwhile), or in the background for a large file (202,
    ``queued``; poll the job). Confirming twice imports once: 409."""
    job = _job(request, job_id)
    screen = SCREENS[job.kind]
    _require_staff(request, job.training_class, screen)
    outcome = imports.upload_confirm(
        job=job,
        kind=screen.kind,
        task=upload_import_task,
        request=request,
        sync_limit=roster_views.SYNC_ROW_LIMIT,
    )
    if outcome == "errors":
        raise ApiError(409, "conflict", ERRORS_MESSAGE)
    if outcome == "not_previewed":
        raise ApiError(409, "conflict", NOT_PREVIEWED)
    if outcome == "queued":  # the task may have run already: answer the job as it is
        job.refresh_from_db()
        return Status(202, job)
    return Status(200, job)


@router.post(
    "/imports/{job_id}/discard",
    response={200: ImportJobOut, 403: ErrorOut, 409: ErrorOut} | ERRORS_401_404,
    summary="放弃导入",
)
def import_discard(request, job_id: int):
    """Drop a job that will not be imported (previewed, refused or failed): its file
    is deleted and it becomes ``expired``. A queued or running job, or one already
    done or expired, answers 409."""
    job = _job(request, job_id)
    _require_staff(request, job.training_class, SCREENS[job.kind])
    outcome = imports.upload_discard(job)
    if outcome == "pending":
        raise ApiError(409, "conflict", PENDING_MESSAGE)
    if outcome == "finished":
        raise ApiError(409, "conflict", FINISHED_MESSAGE)
    return job
