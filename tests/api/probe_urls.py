"""A URL conf for tests/api: the project's routes plus a probe API built the same way.

The probe's router exercises what no public endpoint does yet (a token, a body, a
conflict), mounted at /probe/v1/ by ``training_platform.api.build_api``.
"""

from django.http import Http404
from django.urls import path
from ninja import Router, Schema

from training_platform.api import ApiError, ApiRoute, ErrorOut, TokenAuth, build_api
from training_platform.urls import urlpatterns as project_urlpatterns

router = Router()


class Upload(Schema):
    name: str
    count: int


@router.get("/private", auth=TokenAuth(), response={200: dict, 401: ErrorOut})
def private(request):
    principal = request.auth
    return {"name": principal.name, "institution_id": principal.institution_id}


@router.post("/upload", response={200: dict, 413: ErrorOut, 422: ErrorOut})
def upload(request, payload: Upload):
    return {"name": payload.name, "count": payload.count}


@router.get("/conflict", response={409: ErrorOut})
def conflict(request):
    raise ApiError(409, "conflict", "该班级已有同名学员。")


@router.get("/missing", response={404: ErrorOut})
def missing(request):
    raise Http404("No TrainingClass matches the given query.")


probe = build_api([ApiRoute("/probe", router)], urls_namespace="probe")

urlpatterns = [path("probe/v1/", probe.urls), *project_urlpatterns]
