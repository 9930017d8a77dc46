"""What every master data command shares: revision order, the caller's
system, and the handler model. Handlers run as the client's technical user
inside the pipeline's savepoint: any error leaves nothing behind."""

import re
import zlib

from odoo import models

from odoo.addons.mfg_integration_command.context import mapping_problem
from odoo.addons.mfg_integration_command.problems import CommandProblem
from odoo.addons.mfg_integration_core.exceptions import MappingError
from odoo.addons.mfg_integration_core.write_locks import wait_for_writers
from odoo.addons.mfg_integration_mrp.commands.common import business_error

REVISION_PARTS = re.compile(r"\d+|[A-Za-z]+")


def revision_key(code):
    """A sortable key of a revision code: numbers compare by value (9 < 10),
    letters by length then alphabet (Z < AA), part by part (A.2 < A.10 < B)."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, len(part), part.upper())
        for part in REVISION_PARTS.findall(code or "")
    )


def stale_revision(detail, pointer, applied):
    """A revision older than the one applied: a conflict (409), as stale updates are."""
    return CommandProblem(
        "conflict",
        detail,
        errors=[{"pointer": pointer, "detail": f"older than revision {applied}"}],
    )


def cycle_problem(detail, pointer):
    """A component that is its own parent: reported in the BoM cycle category."""
    problem = business_error(detail, pointer)
    problem.incident_category = "bom_cycle"
    return problem


def wait_for_writers_of(env, kind, system, external_id):
    """Take turns with other writers of what system calls external_id (two
    first publications of one part number would both create it)."""
    key = zlib.crc32(f"{system.id}:{external_id}".encode()) - 2**31
    wait_for_writers(env.cr, kind, [key or 1])


class MfgIntegrationMasterdataInbound(models.AbstractModel):
    _name = "mfg.integration.masterdata.inbound"
    _description = "Master Data Command Handlers"

    def _find(self, ctx, object_type, external_id):
        """The record the caller's system calls external_id, or an empty recordset."""
        try:
            return ctx.mapping.resolve_record(
                ctx._system_required(), object_type, external_id, raise_if_missing=False
            )
        except MappingError as error:
            raise mapping_problem(error) from error

    def _quantity_in(self, ctx, product, quantity, unit_code, pointer):
        return self.env["mfg.integration.mrp.inbound"]._quantity_in(
            ctx, product, quantity, unit_code, pointer
        )
