from odoo import fields, models, tools
from odoo.tools import SQL


class MfgIntegrationRedundantLink(models.Model):
    """The same object type exchanged between the same two systems by more
    than one interface: candidates to merge, or to retire."""

    _name = "mfg.integration.redundant.link"
    _description = "Redundant Interface Link"
    _auto = False
    _order = "object_type_id, source_system_id, target_system_id"

    object_type_id = fields.Many2one("mfg.integration.object.type", readonly=True)
    source_system_id = fields.Many2one("mfg.integration.system", readonly=True)
    target_system_id = fields.Many2one("mfg.integration.system", readonly=True)
    interface_id = fields.Many2one("mfg.integration.interface", readonly=True)
    mode = fields.Selection(related="interface_id.mode")
    link_count = fields.Integer(string="Interfaces on this link", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """CREATE VIEW %s AS (
                    WITH links AS (
                        SELECT rel.mfg_integration_object_type_id AS object_type_id,
                               i.source_system_id, i.target_system_id, i.id AS interface_id,
                               i.company_id,
                               count(*) OVER (PARTITION BY rel.mfg_integration_object_type_id,
                                   i.source_system_id, i.target_system_id) AS link_count
                          FROM mfg_integration_interface i
                          JOIN mfg_integration_interface_mfg_integration_object_type_rel rel
                            ON rel.mfg_integration_interface_id = i.id
                         WHERE i.active AND i.mode != 'retired'
                           AND i.source_system_id IS NOT NULL
                           AND i.target_system_id IS NOT NULL)
                    SELECT row_number() OVER (ORDER BY object_type_id, interface_id) AS id, *
                      FROM links WHERE link_count > 1)""",
                SQL.identifier(self._table),
            )
        )
