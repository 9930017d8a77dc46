"""An event is written only with a payload that matches its type's schema."""

import json

from odoo.tests import TransactionCase

from odoo.addons.mfg_integration_core.exceptions import EventPayloadError

TYPE = "test.outbox.thing.happened.v1"


class TestEmitSchema(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Event = cls.env["mfg.integration.event"]
        cls.EventType = cls.env["mfg.integration.event.type"]
        cls.partner = cls.env["res.partner"].create({"name": "Thing"})

    def _events(self):
        return self.Event.search_count([("type", "=", TYPE), ("res_id", "=", self.partner.id)])

    def test_a_payload_that_drifts_from_its_schema_is_refused_with_its_fields(self):
        event = self.Event._emit(TYPE, self.partner, {"step": 3})
        self.assertEqual(json.loads(event.data), {"step": 3})
        with self.assertRaises(EventPayloadError) as refused:
            self.Event._emit(TYPE, self.partner, {"step": "three", "thing": {"id": 1}})
        pointers = [error["pointer"] for error in refused.exception.errors]
        self.assertIn("/step", pointers)
        self.assertIn("/step: 'three' is not of type 'integer'", str(refused.exception))
        self.assertEqual(self._events(), 1)

    def test_the_validator_is_compiled_once_and_follows_a_schema_change(self):
        first = self.EventType._emit_lookup(TYPE)[2]
        self.assertIs(self.EventType._emit_lookup(TYPE)[2], first)
        event_type = self.EventType.search([("name", "=", TYPE)])
        event_type.payload_schema = json.dumps(
            {"type": "object", "required": ["step"], "properties": {"step": {"type": "string"}}}
        )
        self.assertIsNot(self.EventType._emit_lookup(TYPE)[2], first)
        with self.assertRaises(EventPayloadError):
            self.Event._emit(TYPE, self.partner, {"step": 3})
        self.Event._emit(TYPE, self.partner, {"step": "3"})
        self.assertEqual(self._events(), 1)
