"""Credentials of the local GitHub: App JWTs checked against the App's public key; expiring tokens."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

#: GitHub refuses App JWTs that claim to live longer than ten minutes.
MAX_JWT_LIFETIME = 600


@dataclass(frozen=True)
class Identity:
    """Who made a request: the App itself (JWT), an installation (token) or a user (token)."""

    kind: str  # "app" | "installation" | "user"
    installation_id: int | None = None
    login: str | None = None


class AuthError(Exception):
    """A 401 with GitHub's message."""


@dataclass
class Token:
    """An issued token: an installation token (`ghs_`) or a personal one for a user (`ghp_`)."""

    value: str
    identity: Identity
    expires_at: float | None


class Credentials:
    """Issues tokens and decides who a request's `Authorization` header is."""

    def __init__(
        self, app_id: int, public_key_pem: str | bytes | None, clock: Callable[[], float] = time.time
    ) -> None:
        self.app_id = app_id
        self.public_key_pem = public_key_pem
        self.clock = clock
        self.tokens: dict[str, Token] = {}

    def issue_installation_token(
        self, installation_id: int, ttl: float = 3600, value: str | None = None
    ) -> Token:
        """A new installation token that expires `ttl` seconds from now."""
        tok = Token(
            value=value or "ghs_" + secrets.token_urlsafe(27).replace("-", "a").replace("_", "b")[:36],
            identity=Identity("installation", installation_id=installation_id),
            expires_at=self.clock() + ttl,
        )
        self.tokens[tok.value] = tok
        return tok

    def issue_user_token(self, login: str, value: str | None = None) -> Token:
        """A token that acts as a person (for scripting what users do: comment, react)."""
        tok = Token(
            value=value or "ghp_" + secrets.token_hex(18),
            identity=Identity("user", login=login),
            expires_at=None,
        )
        self.tokens[tok.value] = tok
        return tok

    def expire(self, value: str) -> None:
        """Make a token expired now (tests of refresh-after-401)."""
        self.tokens[value].expires_at = self.clock() - 1

    def identify(self, header: str | None) -> Identity:
        """The identity behind `Authorization: token X` / `Bearer X`; AuthError (401) when bad or expired."""
        if not header:
            raise AuthError("Requires authentication")
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        if scheme.lower() not in ("token", "bearer") or not value:
            raise AuthError("Bad credentials")
        tok = self.tokens.get(value)
        if tok is not None:
            if tok.expires_at is not None and self.clock() >= tok.expires_at:
                raise AuthError("Bad credentials")
            return tok.identity
        if value.count(".") == 2:
            return self._check_jwt(value)
        raise AuthError("Bad credentials")

    def _check_jwt(self, value: str) -> Identity:
        """Verify an App JWT: RS256 with the App's key, `iss` = app id (or client id), sane `iat`/`exp`."""
        if self.public_key_pem is None:
            raise AuthError("A JSON web token could not be decoded")
        try:
            claims = jwt.decode(
                value,
                self.public_key_pem,
                algorithms=["RS256"],
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": ["exp", "iat", "iss"],
                },
            )
        except jwt.PyJWTError:
            raise AuthError("A JSON web token could not be decoded") from None
        now = self.clock()
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, int | float) or exp <= now:
            raise AuthError(
                "'Expiration time' claim ('exp') must be a numeric value representing the future time "
                "at which the assertion expires"
            )
        if not isinstance(iat, int | float) or iat > now + 60:
            raise AuthError(
                "'Issued at' claim ('iat') must be an Integer representing the time that the assertion "
                "was issued"
            )
        if exp - iat > MAX_JWT_LIFETIME + 60:
            raise AuthError("'Expiration time' claim ('exp') is too far in the future")
        if str(claims.get("iss")) not in (str(self.app_id), f"Iv1.{self.app_id:016x}"):
            raise AuthError("'Issuer' claim ('iss') must be an Integer")
        return Identity("app")


def generate_keys() -> tuple[str, str]:
    """A fresh App key pair (private PEM, public PEM), made at start: nothing secret is stored anywhere."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public
