"""The OpenAPI document of /api/v1/, assembled from what each app registers.

Apps add their paths and schemas in ``AppConfig.ready()``, so this module imports none
of them; ``/api/v1/openapi.json`` serves the document.
"""

from django.http import JsonResponse
from django.views.decorators.http import require_GET

_paths: dict[str, dict] = {}
_schemas: dict[str, dict] = {}


def register(path: str, operations: dict, schemas: dict | None = None) -> None:
    """Add (or replace) the operations of ``path`` and the schemas they refer to."""
    _paths[path] = operations
    _schemas.update(schemas or {})


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "黔技通 API",
            "version": "1",
            "description": "贵州职业技能培训与评价服务平台的公开接口。",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": dict(sorted(_paths.items())),
        "components": {"schemas": dict(sorted(_schemas.items()))},
    }


@require_GET
def openapi_json(request):
    return JsonResponse(document(), json_dumps_params={"ensure_ascii": False})
