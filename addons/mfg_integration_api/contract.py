"""Does an answer keep the promise of the OpenAPI document?

Plain Python (no Odoo): the tests of every transport check each answer they
receive with it, in-process HTTP tests and end-to-end tests alike. OpenAPI 3.1
schemas are JSON Schema draft 2020-12; `$ref`s resolve inside the document.
"""

import re
from urllib.parse import unquote, urlsplit

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT_URI = "urn:mfg-integration:openapi"


def _pointer_part(text):
    return text.replace("~", "~0").replace("/", "~1")


class ResponseContract:
    """The OpenAPI document of one server, ready to check answers against."""

    def __init__(self, document):
        self.document = document
        self.registry = Registry().with_resource(
            DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT202012)
        )
        self.templates = []  # (regex, literal length, path template)
        for template in document.get("paths", {}):
            parts = re.split(r"\{\w+\}", template)
            # a path parameter may hold a slash (Odoo references: WH/OUT/00042)
            pattern = ".+".join(re.escape(part) for part in parts)
            self.templates.append((re.compile(f"^{pattern}$"), len("".join(parts)), template))
        self._validators = {}

    def operation(self, method, url):
        """(path template, operation) of a request, or (None, None)."""
        path = unquote(urlsplit(url).path)
        found = [
            (literal, template)
            for regex, literal, template in self.templates
            if regex.match(path) and method.lower() in self.document["paths"][template]
        ]
        if not found:
            return None, None
        _literal, template = max(found)  # the most specific template
        return template, self.document["paths"][template][method.lower()]

    def _resolve(self, pointer):
        node = self.document
        for part in pointer.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def _validator(self, pointer):
        validator = self._validators.get(pointer)
        if validator is None:
            validator = self._validators[pointer] = Draft202012Validator(
                {"$ref": DOCUMENT_URI + pointer},
                registry=self.registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
        return validator

    def errors(self, method, url, status, content_type, body):
        """Every way an answer departs from the document (an empty list when it keeps it).

        :param body: the parsed JSON body, or None when the answer has none
        """
        template, operation = self.operation(method, url)
        if operation is None:
            # no route: the catch-all answers a problem document (404, 405)
            responses_pointer = "#/components/responses"
            responses = self.document.get("components", {}).get("responses", {})
            where = f"{method} {urlsplit(url).path} (no operation)"
        else:
            responses_pointer = f"#/paths/{_pointer_part(template)}/{method.lower()}/responses"
            responses = operation.get("responses", {})
            where = f"{method} {template}"
        if str(status) not in responses:
            return [f"{where}: status {status} is not declared"]
        response_pointer = f"{responses_pointer}/{status}"
        response = responses[str(status)]
        if "$ref" in response:
            response_pointer = response["$ref"]
            response = self._resolve(response_pointer)
        content = response.get("content") or {}
        media_type = (content_type or "").split(";")[0].strip().lower()
        if not content:
            return [] if body is None else [f"{where} {status}: a body where none is declared"]
        if media_type not in content:
            return [f"{where} {status}: content type {media_type!r} is not {sorted(content)}"]
        if "schema" not in content[media_type]:
            return [f"{where} {status}: no schema declared for {media_type}"]
        schema_pointer = f"{response_pointer}/content/{_pointer_part(media_type)}/schema"
        return [
            f"{where} {status}: {'/' + '/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in self._validator(schema_pointer).iter_errors(body)
        ]
