"""OpenAPI 3.1 documents generated from the commands' REST bindings, one per
REST API version."""

from odoo import api, models

from odoo.addons.mfg_integration_command.problems import (
    PROBLEM_TYPES,
    SUCCESS_STATUS,
    problem_catalog,
)

PROBLEM_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "Stable URI of the problem type."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "correlation_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "pointer": {"type": "string", "description": "JSON pointer of the field"},
                    "detail": {"type": "string"},
                },
            },
        },
        # extension members of some problem types
        "retry_after": {"type": "integer", "description": "Seconds, as in Retry-After."},
        "limit": {"type": "integer", "description": "payload-too-large: the limit in bytes."},
        "reference": {"type": "string", "description": "conflict: the existing record."},
        "system": {
            "type": ["string", "null"],
            "description": "Mapping problems: the connected system.",
        },
        "kind": {
            "type": ["string", "null"],
            "description": "Mapping problems: the object type or value map domain.",
        },
        "value": {"description": "Mapping problems: the identifier or code that failed."},
        "interface": {"type": "string", "description": "gone: the retired interface's code."},
        "successor": {
            "type": ["string", "null"],
            "description": "gone: what replaces it (an interface code or an API version).",
        },
    },
}

# what an asynchronous route answers (202) when it accepts a batch
ACCEPTED_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "status", "items", "status_url", "correlation_id"],
    "properties": {
        "id": {"type": "integer"},
        "status": {"enum": ["queued"]},
        "items": {"type": "integer"},
        "status_url": {"type": "string", "description": "Poll it (also in Location)."},
        "correlation_id": {"type": "string"},
    },
}


class MfgIntegrationApiOpenapi(models.AbstractModel):
    _inherit = "mfg.integration.api"

    @api.model
    def _openapi(self, server_url="", api_version=1):
        """The OpenAPI document of one REST API version: its own routes."""
        paths = {}
        for route, command in self._route_table(api_version):
            path = paths.setdefault(route.prefix + route.path, {})
            path[route.method.lower()] = self._openapi_operation(route, command)
        problem_statuses = sorted({status for _k, status, _t, _m in PROBLEM_TYPES.values()})
        return {
            "openapi": "3.1.0",
            "info": {
                "title": "Manufacturing Integration API",
                "version": f"{api_version}.0.0",
                "description": (
                    "Inbound REST API of the manufacturing integration suite for Odoo. "
                    "Send your own identifiers and codes; Odoo translates them through the "
                    "cross-references and value maps of your connected system. Every error is "
                    "an RFC 9457 problem document. Writes accept an Idempotency-Key header."
                ),
            },
            "servers": [{"url": server_url or "/"}],
            "security": [{"bearerAuth": []}, {"apiKeyHeader": []}],
            "paths": paths,
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "mfgk"},
                    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                },
                "schemas": {"Problem": PROBLEM_SCHEMA},
                "responses": {
                    str(status): {
                        "description": ", ".join(
                            title for _k, s, title, _m in PROBLEM_TYPES.values() if s == status
                        ),
                        "content": {
                            "application/problem+json": {
                                "schema": {"$ref": "#/components/schemas/Problem"}
                            }
                        },
                    }
                    for status in problem_statuses
                },
                "headers": {
                    "X-Correlation-ID": {"schema": {"type": "string"}},
                    "traceparent": {"schema": {"type": "string"}},
                },
            },
            "x-problem-types": problem_catalog(),
        }

    def _openapi_operation(self, route, command):
        parameters = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "description": "Your own identifier of the record.",
            }
            for name in command.rest.parameters
        ]
        for name, schema in ((command.query_schema or {}).get("properties") or {}).items():
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "schema": schema,
                    "required": name in (command.query_schema.get("required") or []),
                }
            )
        parameters += [
            {"name": "X-Correlation-ID", "in": "header", "schema": {"type": "string"}},
            {"name": "traceparent", "in": "header", "schema": {"type": "string"}},
            {
                "name": "X-Company-Id",
                "in": "header",
                "schema": {"type": "string"},
                "description": "Company to act in, among the client's allowed companies.",
            },
        ]
        if command.writes:
            parameters.append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "schema": {"type": "string", "maxLength": 255},
                    "description": "Send the same key to retry safely: the first outcome is "
                    "replayed.",
                }
            )
        success = {
            "description": "Accepted: poll the Location" if command.mode == "async" else "Success",
            "content": {
                "application/json": {
                    "schema": ACCEPTED_SCHEMA
                    if command.mode == "async"
                    # a command that declares no response: any JSON
                    else command.response_schema or {}
                }
            },
        }
        outcome = "accepted" if command.mode == "async" else command.outcome
        responses = {str(SUCCESS_STATUS[outcome]): success}
        # 503: the database is unreachable, or conflicts outlasted the retries
        # 422: any route refuses NUL characters in its path or query
        # 410: a command of a retired interface or version (the catalog's)
        codes = {"401", "403", "404", "410", "422", "429", "500", "503"}
        if command.writes:
            codes |= {"400", "409", "413", "415"}
        for code in sorted(codes):
            responses[code] = {"$ref": f"#/components/responses/{code}"}
        operation = {
            "operationId": route.name,
            "summary": command.summary,
            "description": command.description or command.summary,
            "tags": [route.tag],
            "parameters": parameters,
            "responses": responses,
            "x-command": command.label,
            "x-required-scope": command.scope,
            "x-latency-class": command.latency_class,
            "x-processing": command.mode,
        }
        if command.request_schema is not None:
            media = {"schema": command.request_schema}
            if command.example:
                media["example"] = command.example
            operation["requestBody"] = {"required": True, "content": {"application/json": media}}
        return operation
