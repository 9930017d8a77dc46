"""What a data classification keeps of a payload in the message log."""

REDACTED = "***"


def redact_pointers(document, pointers):
    """A copy of a JSON document with the values at these JSON pointers
    (RFC 6901; ``*`` stands for every member or item) replaced by ``***``."""
    for pointer in pointers:
        tokens = [token.replace("~1", "/").replace("~0", "~") for token in pointer.split("/")[1:]]
        document = _redact(document, tokens)
    return document


def _redact(value, tokens):
    if not tokens:
        return REDACTED
    head, rest = tokens[0], tokens[1:]
    if isinstance(value, dict):
        keys = value.keys() if head == "*" else [head] if head in value else []
        return {key: _redact(item, rest) if key in keys else item for key, item in value.items()}
    if isinstance(value, list):
        if head == "*":
            return [_redact(item, rest) for item in value]
        if head.isdigit() and int(head) < len(value):
            index = int(head)
            return [_redact(item, rest) if i == index else item for i, item in enumerate(value)]
    return value
