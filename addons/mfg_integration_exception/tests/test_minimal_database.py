from odoo.tests import TransactionCase

# what the app's tests must do without (setup/test runs them on <db>_minimal)
SOURCE_ADDONS = [
    "mrp",
    "purchase",
    "mfg_integration_api",
    "mfg_integration_mrp",
    "mfg_integration_webhook",
    "test_mfg_integration_exception",
]


class TestMinimalDatabase(TransactionCase):
    def test_the_app_runs_without_its_source_addons(self):
        Module = self.env["ir.module.module"]
        installed = Module.search([("state", "=", "installed")]).mapped("name")
        self.assertIn("mfg_integration_exception", installed)
        self.assertEqual(
            [name for name in SOURCE_ADDONS if name in installed],
            [],
            "the exception app's own tests run on the minimal database (setup/test)",
        )
        # its categories are those the installed sources declare: core's and the command
        # layer's, none of manufacturing
        categories = dict(
            self.env["mfg.integration.exception"]
            ._fields["category"]
            ._description_selection(self.env)
        )
        self.assertLessEqual(
            {"other", "job_failed", "delivery_failed", "circuit_open", "unmapped_code"},
            set(categories),
        )
        self.assertNotIn("production_variance", categories)
