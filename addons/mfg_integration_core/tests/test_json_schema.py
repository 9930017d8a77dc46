from hypothesis import (
    given,
    settings,
    strategies as st,
)

from odoo.tests import BaseCase

from ..json_schema import SchemaCheck, schema_errors, validator_for
from .json_instances import near

LOT = {
    "type": "object",
    "required": ["lot", "quantity", "state"],
    "additionalProperties": False,
    "properties": {
        "lot": {"type": "string", "minLength": 1, "maxLength": 20, "pattern": "^L-[0-9]+$"},
        "quantity": {"type": "number", "exclusiveMinimum": 0},
        "count": {"type": "integer", "minimum": 1, "maximum": 99},
        "state": {"enum": ["hold", "released", None]},
        "at": {"type": "string", "format": "date-time"},
        "product": {"$ref": "#/$defs/reference"},
        "serials": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "origin": {"oneOf": [{"const": "mes"}, {"const": "wms"}]},
        "tags": {"type": "object", "patternProperties": {"^x-": {"type": "boolean"}}},
        "kind": {"type": "string", "not": {"const": "scrap"}},
    },
    "if": {"properties": {"state": {"const": "hold"}}},
    "then": {"required": ["note"]},
    "$defs": {
        "reference": {
            "type": ["object", "null"],
            "required": ["id"],
            "properties": {"id": {"type": "string"}, "odoo_id": {"type": "integer"}},
        }
    },
}


class TestJsonSchemaChecks(BaseCase):
    """The compiled check answers for the reference (jsonschema, draft
    2020-12): whatever it accepts, the reference accepts."""

    def assertAgrees(self, schema, instance):
        check = SchemaCheck(schema)
        self.assertIsNotNone(check.compiled, "the schema should have a compiled check")
        try:
            check.compiled(instance)
        except Exception:
            return False
        self.assertTrue(
            check.validator.is_valid(instance),
            f"the compiled check accepts what the reference refuses: {instance!r}",
        )
        return True

    def test_the_compiled_check_never_accepts_what_the_reference_refuses(self):
        seen = {"accepted": 0, "refused": 0}

        @settings(max_examples=400, derandomize=True, database=None, deadline=None)
        @given(near(LOT) | near(LOT, noise=False))
        def agree(instance):
            seen["accepted" if self.assertAgrees(LOT, instance) else "refused"] += 1

        agree()
        # both sides of the check were exercised
        self.assertGreater(seen["accepted"], 20, seen)
        self.assertGreater(seen["refused"], 20, seen)

    def test_where_the_drafts_part_the_reference_decides(self):
        # Python's == takes True for 1: an enum of numbers is not compiled
        self.assertIsNone(SchemaCheck({"enum": [1, 2]}).compiled)
        self.assertEqual(len(schema_errors({"enum": [1, 2]}, True)), 1)
        # draft 7 ignores the siblings of a $ref, 2020-12 applies them
        beside_ref = {
            "$defs": {"n": {"type": "integer"}},
            "properties": {"a": {"$ref": "#/$defs/n", "minimum": 5}},
        }
        self.assertIsNone(SchemaCheck(beside_ref).compiled)
        self.assertEqual(len(schema_errors(beside_ref, {"a": 1})), 1)
        # an array of items is a tuple in draft 7 and not a 2020-12 keyword
        for schema in (
            {"prefixItems": [{"type": "string"}]},
            {"type": "array", "uniqueItems": True},
            {"dependentRequired": {"a": ["b"]}},
            {"unevaluatedProperties": False},
        ):
            self.assertIsNone(SchemaCheck(schema).compiled, schema)
        self.assertEqual(len(schema_errors({"type": "array", "uniqueItems": True}, [1, 1])), 1)
        self.assertEqual(len(schema_errors({"dependentRequired": {"a": ["b"]}}, {"a": 1})), 1)

    def test_what_the_compiled_check_refuses_alone_is_accepted(self):
        # the compiled check reads "$" as the end of the text; the reference
        # (re.search) also lets a final newline through: its verdict stands
        self.assertEqual(schema_errors({"type": "string", "pattern": "^abc$"}, "abc\n"), [])
        self.assertEqual(schema_errors({"type": "integer"}, 2.0), [])

    def test_errors_name_every_failing_field_by_pointer(self):
        errors = schema_errors(
            LOT, {"lot": "X", "quantity": 0, "state": "open", "product": {"odoo_id": "7"}}
        )
        self.assertEqual(
            sorted(error["pointer"] for error in errors),
            ["/lot", "/product", "/product/odoo_id", "/quantity", "/state"],
        )
        self.assertEqual(schema_errors(LOT, {"lot": "L-1", "quantity": 1, "state": None}), [])

    def test_a_payload_is_never_changed_by_its_check(self):
        schema = {"properties": {"a": {"type": "integer", "default": 3}}}
        payload = {}
        self.assertEqual(schema_errors(schema, payload), [])
        self.assertEqual(payload, {})

    def test_one_check_per_schema_content(self):
        self.assertIs(validator_for(LOT), validator_for(LOT))
        rebuilt = {**LOT}
        self.assertIs(validator_for(rebuilt), validator_for(LOT))

    @settings(max_examples=30, derandomize=True, database=None, deadline=None)
    @given(st.sampled_from(["2026-12-07T10:00:00Z", "2026-12-07", "now", "2026-13-01T00:00:00Z"]))
    def test_formats_are_the_references_in_both(self, value):
        schema = {"type": "string", "format": "date-time"}
        check = SchemaCheck(schema)
        self.assertEqual(check.errors(value) == [], check.validator.is_valid(value))
