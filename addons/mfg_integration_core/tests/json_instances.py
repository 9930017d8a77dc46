"""Hypothesis strategies for JSON documents near a schema: mostly shaped by it
(valid or almost), with any JSON value mixed in at every level, so that the
compiled schema checks meet both what they must accept and what they must not."""

from datetime import timezone

from hypothesis import strategies as st

ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)

_FORMATS = {
    "date-time": st.datetimes(timezones=st.just(timezone.utc)).map(
        lambda value: value.isoformat().replace("+00:00", "Z")
    ),
    "date": st.dates().map(lambda value: value.isoformat()),
    "email": st.emails(),
}


def near(schema, root=None, depth=0, noise=True):
    """Documents shaped by `schema` (`root` holds its $defs), or any JSON
    (at every level, unless told no `noise`)."""
    root = root if root is not None else schema
    if isinstance(schema, bool) or depth > 6:
        return ANY_JSON
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return near(root["$defs"][ref.removeprefix("#/$defs/")], root, depth + 1, noise)
    shaped = []
    if "enum" in schema:
        shaped.append(st.sampled_from(schema["enum"]))
    if "const" in schema:
        shaped.append(st.just(schema["const"]))
    for key in ("anyOf", "oneOf", "allOf"):
        shaped.extend(near(sub, root, depth + 1, noise) for sub in schema.get(key, ()))
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    for type_ in types:
        shaped.append(_typed(type_, schema, root, depth, noise))
    if not types and "properties" in schema:
        shaped.append(_typed("object", schema, root, depth, noise))
    if not shaped:
        return ANY_JSON if noise or depth > 6 else st.none()
    # mostly shaped by the schema: one draw in four is any JSON at all
    shaped = st.one_of(*shaped)
    return st.one_of(shaped, shaped, shaped, ANY_JSON) if noise else shaped


def _typed(type_, schema, root, depth, noise):
    if type_ == "object":
        properties = schema.get("properties", {})
        required = [name for name in schema.get("required", ()) if name in properties]
        optional = [name for name in properties if name not in required]
        return st.fixed_dictionaries(
            {name: near(properties[name], root, depth + 1, noise) for name in required},
            optional={name: near(properties[name], root, depth + 1, noise) for name in optional},
        )
    if type_ == "array":
        items = schema.get("items", True)
        return st.lists(
            near(items, root, depth + 1, noise),
            min_size=schema.get("minItems", 0),
            max_size=max(schema.get("minItems", 0), 3),
        )
    if type_ == "string":
        if schema.get("format") in _FORMATS:
            return _FORMATS[schema["format"]]
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        return st.text(
            min_size=schema.get("minLength", 0), max_size=max(schema.get("minLength", 0), 12)
        )
    if type_ == "integer":
        whole_floats = st.floats(-5, 5).map(lambda value: float(round(value)))
        low, high = schema.get("minimum", -(2**31)), schema.get("maximum", 2**31)
        return st.integers(low, high) | whole_floats
    if type_ == "number":
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        return st.floats(min_value=low, allow_nan=False, allow_infinity=False) | st.integers(low)
    if type_ == "boolean":
        return st.booleans()
    if type_ == "null":
        return st.none()
    return ANY_JSON
