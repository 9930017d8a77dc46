"""What happens when things break: bad input from the outside world."""

import json
from urllib.parse import quote

import requests
from hypothesis import (
    HealthCheck,
    given,
    settings,
    strategies as st,
)

API = "/api/mfg/v1"
BUSINESS_TABLES = (
    "mrp_production",
    "stock_move",
    "stock_quant",
    "stock_lot",
    "stock_picking",
    "purchase_order",
    "mfg_integration_xref",
    "mfg_integration_value_map_line",
)
SCOPE_SYSTEM = {
    "production": "MES-01",
    "quality": "MES-01",
    "mapping": "MES-01",
    "inventory": "WMS-01",
    "shipment": "WMS-01",
    "purchase": "SUP-PORTAL",
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


def business_snapshot(server):
    return server.sql(
        " union all ".join(
            f"select '{table}', count(*), coalesce(max(write_date)::text, '') from {table}"
            for table in BUSINESS_TABLES
        )
    )


def operations(server):
    """(method, path template, body property names, scope) of every route."""
    spec = requests.get(server.url + API + "/openapi.json", timeout=30).json()
    found = []
    for path, methods in spec["paths"].items():
        if path.startswith(API + "/test/"):
            continue  # the test addons' dummy commands succeed by design
        for method, operation in methods.items():
            schema = (
                operation.get("requestBody", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema", {})
            )
            found.append(
                (
                    method.upper(),
                    path.removeprefix(API),
                    sorted(schema.get("properties", {})),
                    operation.get("x-required-scope"),
                )
            )
    return found


def request_strategy(ops):
    def for_operation(op):
        method, path, properties, scope = op
        ids = st.text(min_size=1, max_size=40).map(lambda text: quote(text, safe=""))
        bodies = st.one_of(
            json_values,
            st.fixed_dictionaries({}, optional={name: json_values for name in properties}),
        )
        raw = st.sampled_from([b"{", b"[1,", b"\xff\xfe", b"null", b'{"a": NaN}', b" " * 10])
        return st.tuples(
            st.just(op),
            ids,
            st.one_of(bodies.map(lambda b: ("json", b)), raw.map(lambda r: ("raw", r))),
            st.dictionaries(
                st.sampled_from(["limit", "cursor", "product", "location", "updated_since"]),
                st.text(max_size=20),
                max_size=3,
            ),
        )

    return st.sampled_from(ops).flatmap(for_operation)


def test_generated_bad_requests_never_fail_and_never_change_anything(demo):
    server, _receiver, credentials = demo
    ops = operations(server)
    assert len(ops) >= 13
    session = requests.Session()
    before = business_snapshot(server)
    seen = {"count": 0, "statuses": {}}

    @settings(
        max_examples=2000,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(request_strategy(ops))
    def send(generated):
        (method, template, _properties, scope), path_id, (kind, body), query = generated
        system = SCOPE_SYSTEM.get((scope or "production").split(":")[0], "MES-01")
        url = server.url + API + template.replace("{id}", path_id)
        headers = {"Authorization": f"Bearer {credentials['keys'][system]}"}
        data = None
        if method != "GET":
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode() if kind == "json" else body
        response = session.request(
            method, url, params=query, data=data, headers=headers, timeout=60
        )
        seen["count"] += 1
        seen["statuses"][response.status_code] = seen["statuses"].get(response.status_code, 0) + 1
        assert response.status_code < 500 or response.status_code == 503, (
            method,
            url,
            data,
            response.text,
        )
        if response.status_code >= 400:
            assert response.headers["Content-Type"].startswith("application/problem+json")
            assert "Traceback" not in response.text
        elif method != "GET":
            # an identifier nobody mapped can never be applied; only a batch is accepted
            assert response.status_code == 202, (method, url, data, response.text)

    send()
    assert seen["count"] >= 2000, seen
    assert business_snapshot(server) == before, "a refused request changed the database"
    print(f"\n{seen['count']} generated requests, statuses {sorted(seen['statuses'].items())}")
