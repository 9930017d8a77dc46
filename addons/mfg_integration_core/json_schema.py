"""JSON Schema checks shared by the command pipeline (payloads received) and
the outbox (payloads emitted): draft 2020-12, with formats.

jsonschema is the reference: it decides, and it lists every violation with
its pointer. It is slow on the path every request and every emit takes
(hundreds of microseconds for a payload of a few hundred bytes), so where a
schema uses only keywords that draft 7 and draft 2020-12 read alike, a
fastjsonschema compilation of it answers first, in microseconds: a payload it
accepts is valid; anything it refuses goes to the reference, which gives the
verdict and the errors. Formats are jsonschema's own checkers in both.
"""

import json
from collections import OrderedDict

import fastjsonschema
from jsonschema import Draft202012Validator

# keywords that mean the same in draft 7 (what fastjsonschema compiles) and in
# draft 2020-12; a schema with any other keyword has no compiled check
_SHARED_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "patternProperties",
        "propertyNames",
        "minProperties",
        "maxProperties",
        "items",
        "minItems",
        "maxItems",
        "contains",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
        "format",
        "$ref",
        "$defs",
    }
)
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$comment",
        "title",
        "description",
        "default",
        "examples",
        "readOnly",
        "writeOnly",
        "deprecated",
    }
)
# keywords whose value is a map of names to subschemas, or one subschema
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs"})
_SUBSCHEMAS = frozenset(
    {"additionalProperties", "propertyNames", "items", "contains", "not", "if", "then", "else"}
)


def _compilable(node, root=True):
    """Whether fastjsonschema reads this schema as draft 2020-12 does."""
    if isinstance(node, bool):
        return True
    if not isinstance(node, dict):
        return False
    for keyword, value in node.items():
        if keyword == "$schema":
            if not root:
                return False
        elif keyword in _ANNOTATIONS:
            continue
        elif keyword not in _SHARED_KEYWORDS or not _keyword_compilable(keyword, value, node):
            return False
    return True


def _keyword_compilable(keyword, value, node):
    if keyword == "$ref":
        # draft 7 ignores what stands beside a $ref; 2020-12 applies it
        return (
            isinstance(value, str)
            and value.startswith("#/$defs/")
            and not set(node) - _ANNOTATIONS - {"$ref"}
        )
    if keyword in ("enum", "const"):
        # Python's == takes True for 1: only text and null compare alike
        values = value if keyword == "enum" else [value]
        return isinstance(values, list) and all(v is None or isinstance(v, str) for v in values)
    if keyword in _SCHEMA_MAPS:
        return isinstance(value, dict) and all(
            _compilable(sub, root=False) for sub in value.values()
        )
    if keyword in _SUBSCHEMAS:
        # an array of items is a tuple in draft 7 and an error in 2020-12
        return _compilable(value, root=False)
    if keyword in ("allOf", "anyOf", "oneOf"):
        return isinstance(value, list) and all(_compilable(sub, root=False) for sub in value)
    return True


def _compiled(schema):
    """The fastjsonschema check of a schema, or None where it may disagree."""
    if not _compilable(schema):
        return None
    checker = Draft202012Validator.FORMAT_CHECKER
    formats = {
        name: (lambda value, name=name: checker.conforms(value, name)) for name in checker.checkers
    }
    definition = {key: value for key, value in schema.items() if key != "$schema"}
    try:
        return fastjsonschema.compile(definition, formats=formats, use_default=False)
    except fastjsonschema.JsonSchemaDefinitionException:
        return None  # e.g. a format only the reference knows of: it checks alone


class SchemaCheck:
    """A schema's reference validator and, where it agrees, its compiled check."""

    __slots__ = ("compiled", "validator")

    def __init__(self, schema):
        Draft202012Validator.check_schema(schema)
        self.validator = Draft202012Validator(
            schema, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        self.compiled = _compiled(schema)

    def errors(self, instance):
        """All violations, each with the JSON pointer of the failing field."""
        if self.compiled is not None:
            try:
                self.compiled(instance)
                return []
            except fastjsonschema.JsonSchemaValueException:
                pass  # the reference decides, and says where
        errors = []
        found = self.validator.iter_errors(instance)
        for error in sorted(found, key=lambda e: list(e.absolute_path)):
            pointer = "".join(f"/{part}" for part in error.absolute_path) or "/"
            errors.append({"pointer": pointer, "detail": error.message})
        return errors


_BY_CONTENT = {}
# the same schema object asks again on every request: found without serializing
# it; the entry holds the object, so its id() cannot be another's meanwhile
_BY_OBJECT = OrderedDict()
_BY_OBJECT_SIZE = 512


def validator_for(schema):
    """One SchemaCheck per distinct schema. Keyed by content: schemas may be
    built anew on each call, and an id() is reused once its object is gone."""
    entry = _BY_OBJECT.get(id(schema))
    if entry is not None and entry[0] is schema:
        return entry[1]
    key = json.dumps(schema, sort_keys=True, default=str)
    check = _BY_CONTENT.get(key)
    if check is None:
        check = _BY_CONTENT[key] = SchemaCheck(schema)
    _BY_OBJECT[id(schema)] = (schema, check)
    if len(_BY_OBJECT) > _BY_OBJECT_SIZE:
        _BY_OBJECT.popitem(last=False)
    return check


def errors_of(check, instance):
    """All violations of a SchemaCheck, each with the JSON pointer of the failing field."""
    return check.errors(instance)


def schema_errors(schema, instance):
    return validator_for(schema).errors(instance)
