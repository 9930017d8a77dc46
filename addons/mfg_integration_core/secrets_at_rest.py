"""Secrets at rest (webhook signing secrets, broker passwords): Fernet with
the key from the server configuration."""

from cryptography.fernet import Fernet, InvalidToken

from odoo import _, tools
from odoo.exceptions import UserError

CONFIG_KEY = "mfg_integration_secret_key"


def _fernet():
    key = tools.config.get(CONFIG_KEY)
    if not key:
        raise UserError(
            _(
                "Set '%s' in the server configuration (a Fernet key: python3 -c 'from "
                "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') "
                "before storing secrets (signing secrets, broker passwords).",
                CONFIG_KEY,
            )
        )
    try:
        return Fernet(key.encode() if isinstance(key, str) else key)
    except ValueError as error:
        raise UserError(
            f"'{CONFIG_KEY}' in the server configuration is not a Fernet key."
        ) from error


class SecretUnreadable(UserError):
    """A secret was encrypted with another secret key than the server's."""


def encrypt(text):
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token):
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable(
            _(
                "A stored secret cannot be decrypted: the server's secret key has changed. "
                "Generate a new signing secret for the endpoint, or enter the password again."
            )
        ) from error


def readable(token):
    """Can the server's secret key decrypt this token?"""
    try:
        decrypt(token)
    except SecretUnreadable:
        return False
    return True
