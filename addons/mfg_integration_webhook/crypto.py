"""Standard Webhooks signing; the secrets are kept by core's
secrets_at_rest."""

import base64
import hashlib
import hmac


def sign(secret, message_id, timestamp, body):
    """Standard Webhooks signature: v1,base64(HMAC-SHA256(key, id.timestamp.body))."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()
