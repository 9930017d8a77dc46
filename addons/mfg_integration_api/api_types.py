"""An HTTP request as the REST transport reads it, free of werkzeug."""

from dataclasses import dataclass, field


@dataclass
class ApiRequest:
    method: str
    path: str  # below API_PREFIX, e.g. /production-orders
    headers: dict  # lower-case names
    body: bytes = b""
    query: dict = field(default_factory=dict)
    remote_addr: str = ""
    api_version: int = 1  # of its prefix: /api/mfg/v2 -> 2
