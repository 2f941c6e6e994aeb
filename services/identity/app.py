"""IdentityApplication: accounts and roles, sign-in and tokens, signing keys; plain types in and out."""

from __future__ import annotations

from services.identity.accounts import Accounts
from services.identity.rotation import KeyRotation
from services.identity.signin import PasswordChangeRequired, SignIns

__all__ = ["IdentityApplication", "PasswordChangeRequired"]


class IdentityApplication(Accounts, SignIns, KeyRotation):
    """The identity service (账号与登录): one instance for the whole city, with its own database."""
