"""The certificate verification endpoint in the OpenAPI document (registered in ready())."""

from training_platform.openapi import OpenApiPath

_ERROR = {
    "type": "object",
    "required": ["detail", "message"],
    "properties": {
        "detail": {"enum": ["not_found", "tampered", "rate_limited"]},
        "message": {"type": "string"},
        "signature": {"$ref": "#/components/schemas/SignatureCheck"},
    },
}
_NULLABLE_STRING = {"type": ["string", "null"]}

SCHEMAS = {
    "SignatureCheck": {
        "type": "object",
        "required": ["genuine", "reason"],
        "properties": {"genuine": {"type": "boolean"}, "reason": {"type": "string"}},
    },
    "CertificateVerification": {
        "type": "object",
        "description": "证书的公开信息：持证人姓名和证件号码均已脱敏，不含其他个人信息。",
        "required": [
            "status",
            "status_label",
            "number",
            "kind",
            "kind_label",
            "occupation_code",
            "occupation_name",
            "level",
            "level_label",
            "issuer",
            "issued_on",
            "expires_on",
            "holder_name",
            "holder_id",
        ],
        "properties": {
            "status": {"enum": ["valid", "expired", "revoked", "superseded"]},
            "status_label": {"type": "string"},
            "number": {"type": "string"},
            "kind": {
                "enum": [
                    "qualification",
                    "skill_level",
                    "special_ability",
                    "training",
                    "competition",
                ]
            },
            "kind_label": {"type": "string"},
            "occupation_code": {"type": "string", "examples": ["6-31-01-03"]},
            "occupation_name": {"type": "string"},
            "level": {"type": "string", "description": "1–5, T, C, or empty"},
            "level_label": {"type": "string"},
            "issuer": {"type": "string"},
            "issued_on": {"type": "string", "format": "date"},
            "expires_on": {"type": ["string", "null"], "format": "date"},
            "holder_name": {"type": "string", "examples": ["王**"]},
            "holder_id": {"type": "string", "examples": ["52**************3X"]},
            "revoked_on": _NULLABLE_STRING,
            "revoked_reason": _NULLABLE_STRING,
            "superseded_by_number": _NULLABLE_STRING,
            "superseded_by_url": _NULLABLE_STRING,
            "signature": {"$ref": "#/components/schemas/SignatureCheck"},
        },
    },
    "Error": _ERROR,
}

VERIFY = {
    "get": {
        "operationId": "verifyCertificate",
        "summary": "核验证书（二维码中的核验码）",
        "parameters": [
            {
                "name": "token",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{22}$"},
            },
            {
                "name": "s",
                "in": "query",
                "required": False,
                "description": "二维码中的签名内容（见 /.well-known/certificate-keys.json）",
                "schema": {"type": "string"},
            },
        ],
        "responses": {
            "200": {
                "description": "证书存在",
                "content": {
                    "application/json": {
                        "schema": {
                            "$ref": "#/components/schemas/CertificateVerification"
                        }
                    }
                },
            },
            "404": {
                "description": "未找到（未知与格式错误的核验码同样回答），或签名无效",
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}
                    }
                },
            },
            "429": {
                "description": "请求过于频繁；见 Retry-After",
                "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}
                    }
                },
            },
        },
    }
}

VERIFY_PATH = OpenApiPath("/certificates/{token}", VERIFY, SCHEMAS)
