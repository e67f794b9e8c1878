"""The OpenAPI document of /api/v1/, assembled from what each app registers.

Apps register an :class:`OpenApiPath` on ``training_platform.extensions.openapi_paths``
in ``AppConfig.ready()``, so this module imports none of them; ``/api/v1/openapi.json``
serves the document.
"""

from dataclasses import dataclass, field

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from training_platform.extensions import openapi_paths


@dataclass(frozen=True)
class OpenApiPath:
    """The operations of one path and the schemas they refer to."""

    path: str
    operations: dict
    schemas: dict = field(default_factory=dict)


def document() -> dict:
    paths: dict[str, dict] = {}
    schemas: dict[str, dict] = {}
    for item in openapi_paths:
        paths[item.path] = item.operations  # a later item for a path replaces it
        schemas.update(item.schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "黔技通 API",
            "version": "1",
            "description": "贵州职业技能培训与评价服务平台的公开接口。",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


@require_GET
def openapi_json(request):
    return JsonResponse(document(), json_dumps_params={"ensure_ascii": False})
