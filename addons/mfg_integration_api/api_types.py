"""The request and response of the pipeline, free of the HTTP layer."""

from dataclasses import dataclass, field


@dataclass
class ApiRequest:
    method: str
    path: str  # below API_PREFIX, e.g. /production-orders
    headers: dict  # lower-case names
    body: bytes = b""
    query: dict = field(default_factory=dict)
    remote_addr: str = ""


@dataclass
class ApiResponse:
    status: int
    body: object
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json"
