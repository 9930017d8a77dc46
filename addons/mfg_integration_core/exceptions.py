"""Typed mapping errors.

Each error carries the system, the object type or value-map domain, and the
value that could not be translated, so that a caller can answer with a precise
problem document or open an exception that says exactly what to map.
"""

from odoo.exceptions import UserError


class MappingError(UserError):
    """Base class of every translation failure of the mapping engine."""

    code = "mapping_error"

    def __init__(self, message, *, system=None, kind=None, value=None):
        super().__init__(message)
        self.system = system
        self.kind = kind
        self.value = value

    def to_dict(self):
        """Machine-readable form, for problem documents and exception records."""
        return {
            "code": self.code,
            "system": self.system,
            "kind": self.kind,
            "value": self.value,
            "message": self.args[0],
        }


class UnknownReferenceError(MappingError):
    """An external identifier has no cross-reference in this system."""

    code = "unknown_reference"


class UnmappedRecordError(MappingError):
    """An Odoo record has no external identifier in this system."""

    code = "unmapped_record"


class UnmappedCodeError(MappingError):
    """A code or value has no entry (and no default) in a value map."""

    code = "unmapped_code"


class AmbiguousMappingError(MappingError):
    """Several entries match where exactly one is needed."""

    code = "ambiguous_mapping"


class StateConflictError(UserError):
    """The record is not in a state that accepts the change (it is done,
    cancelled, or a newer update was applied already). Transports answer it as
    a conflict, not as a broken business rule.

    :param extensions: facts for the caller, e.g. the existing record's reference
    """

    def __init__(self, message, **extensions):
        super().__init__(message)
        self.extensions = extensions


class EventPayloadError(Exception):
    """An event's payload does not match its type's JSON Schema: a defect of
    the code that emits it, not of the caller's message (so it is no
    UserError: the command answers an internal error and is logged)."""

    def __init__(self, type_name, errors):
        """:param errors: [{"pointer", "detail"}] (json_schema.errors_of)"""
        self.type_name = type_name
        self.errors = errors
        listed = "; ".join(f"{e['pointer']}: {e['detail']}" for e in errors[:5])
        super().__init__(f"The payload of {type_name} does not match its schema: {listed}")
