"""What a command handler gets: the caller's environment and translation helpers."""

from dataclasses import dataclass
from datetime import datetime, timezone

from odoo.addons.mfg_integration_core.exceptions import MappingError, StateConflictError

from .problems import CommandProblem

MAPPING_SLUGS = {
    "unknown_reference": "unknown-reference",
    "unmapped_record": "unknown-reference",
    "unmapped_code": "unmapped-code",
    "ambiguous_mapping": "ambiguous-mapping",
}


def mapping_problem(error, pointer=None):
    """Turn a typed mapping error into a problem naming the field."""
    slug = MAPPING_SLUGS.get(error.code, "business-rule")
    errors = [{"pointer": pointer, "detail": str(error.args[0])}] if pointer else []
    return CommandProblem(
        slug,
        str(error.args[0]),
        errors=errors,
        system=error.system,
        kind=error.kind,
        value=error.value,
    )


@dataclass
class CommandContext:
    env: object  # the client's technical user, in the request's company
    client: object
    system: object
    command: object
    correlation_id: str
    query: dict
    channel: str = ""

    @property
    def mapping(self):
        return self.env["mfg.integration.mapping"]

    def _system_required(self):
        if not self.system:
            raise CommandProblem(
                "business-rule",
                f"API client '{self.client.name}' has no connected system, so its "
                "identifiers and codes cannot be translated.",
            )
        return self.system

    def resolve(self, object_type, external_id, pointer):
        """The record the caller calls external_id in a field of its payload;
        an unknown reference problem naming the field otherwise."""
        try:
            return self.mapping.resolve_record(self._system_required(), object_type, external_id)
        except MappingError as error:
            raise mapping_problem(error, pointer) from error

    def resolve_subject(self, object_type, external_id):
        """The record a command acts on (its subject); not found otherwise."""
        try:
            return self.mapping.resolve_record(self._system_required(), object_type, external_id)
        except MappingError as error:
            raise CommandProblem(
                "not-found",
                f"No {object_type} '{external_id}' is known for {self.system.code}.",
            ) from error

    def map_in(self, domain, code, pointer):
        try:
            return self.mapping.map_inbound(self._system_required(), domain, code)
        except MappingError as error:
            raise mapping_problem(error, pointer) from error

    def map_in_record(self, domain, code, pointer):
        try:
            return self.mapping.map_inbound_record(self._system_required(), domain, code)
        except MappingError as error:
            raise mapping_problem(error, pointer) from error

    def map_out(self, domain, value):
        """The caller's code for a value; the value itself when it has no map."""
        system = self._system_required()
        if not self.mapping.has_value_map(system, domain):
            return value
        try:
            return self.mapping.map_outbound(system, domain, value)
        except MappingError as error:
            raise mapping_problem(error) from error

    def external_id(self, record, object_type):
        if not record or not self.system:
            return None
        return self.mapping.external_id_of(self.system, record, object_type, raise_if_missing=False)

    def register(self, object_type, external_id, record, source_timestamp=None):
        """Remember the caller's id for a record its command created."""
        self.env["mfg.integration.link"]._link(
            self._system_required(), object_type, external_id, record, source_timestamp
        )

    def check_stale(self, object_type, record, source_timestamp, pointer="/source_timestamp"):
        """Refuse (conflict) a message older than the last one applied to record."""
        if not source_timestamp or not self.system:
            return
        when = parse_timestamp(source_timestamp, pointer)
        try:
            self.env["mfg.integration.link"]._advance_source_time(
                self.system, object_type, record, when
            )
        except StateConflictError as error:
            raise CommandProblem(
                "conflict",
                str(error.args[0]),
                errors=[{"pointer": pointer, "detail": "older than the last applied update"}],
            ) from error


def parse_timestamp(value, pointer):
    """ISO 8601 with offset -> naive UTC datetime (Odoo's convention)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError) as error:
        raise CommandProblem(
            "validation-error",
            f"'{value}' is not an ISO 8601 date-time.",
            errors=[{"pointer": pointer, "detail": "expected an ISO 8601 date-time"}],
        ) from error
    if parsed.tzinfo:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed
