"""JSON Schema checks shared by the command pipeline (payloads received) and
the outbox (payloads emitted): draft 2020-12, with formats."""

import json

from jsonschema import Draft202012Validator

_VALIDATORS = {}


def validator_for(schema):
    """One checked validator per distinct schema. Keyed by content: schemas may
    be built anew on each call, and an id() is reused once its object is gone."""
    key = json.dumps(schema, sort_keys=True, default=str)
    validator = _VALIDATORS.get(key)
    if validator is None:
        Draft202012Validator.check_schema(schema)
        validator = _VALIDATORS[key] = Draft202012Validator(
            schema, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
    return validator


def errors_of(validator, instance):
    """All violations, each with the JSON pointer of the failing field."""
    errors = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        pointer = "".join(f"/{part}" for part in error.absolute_path) or "/"
        errors.append({"pointer": pointer, "detail": error.message})
    return errors


def schema_errors(schema, instance):
    return errors_of(validator_for(schema), instance)
