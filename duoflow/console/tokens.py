"""Tokens the console's local authorizer signs and verifies: JWTs (HS256), with the claims a Cognito ID token
carries (``sub``, ``cognito:username``, ``name``, ``cognito:groups``), so the API checks them exactly as it checks
Cognito's behind API Gateway. PyJWT signs and checks them; its errors are told to the user in our words.

``duoflow serve`` keeps the secret in the state directory (``TokenSigner.kept_in``: ``console-secret``, 0600, made
once), so a token stays valid across restarts until it expires or the state is cleared; tests and throwaway
servers make one per run (``TokenSigner.for_this_run``)."""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from services.api.routes import HR_ROLE, MANAGER_ROLE, ROLE_CLAIM

ISSUER = "duoflow-local"
SECRET_FILE = "console-secret"
SECRET_BYTES = 32
# Who acts in each role locally (the names the demo's simulated people use).
ROLE_USERS = {MANAGER_ROLE: ("dana.lee", "Dana Lee"), HR_ROLE: ("priya.shah", "Priya Shah")}
# The console page each role works on (static/index.html: #/manager, #/hr): its sign-in link opens there.
ROLE_PAGES = {MANAGER_ROLE: "manager", HR_ROLE: "hr"}


class InvalidToken(ValueError):
    pass


# What PyJWT's error means, for the user; the first of the error's classes found here wins (a bad signature is
# also a DecodeError). tests/api/test_tokens.py checks each, so a PyJWT version that moves one fails there.
REASONS = {
    jwt.InvalidSignatureError: "the token's signature is not valid for this server (it was signed by another one: a "
    "server on another state directory, or before the state was cleared)",
    jwt.DecodeError: "the token is not a JWT (three dot-separated base64url parts: header, claims, signature)",
    jwt.InvalidAlgorithmError: "the token must be signed with HS256",
    jwt.InvalidIssuerError: f"the token was not issued by {ISSUER}",
}


@dataclass
class TokenSigner:
    secret: bytes
    ttl_seconds: int = 12 * 3600

    @classmethod
    def for_this_run(cls) -> TokenSigner:
        return cls(secrets.token_bytes(SECRET_BYTES))

    @classmethod
    def kept_in(cls, state_dir: Path) -> TokenSigner:
        """The signer whose secret is ``<state_dir>/console-secret`` (hex, 0600), made the first time: the tokens it
        signs stay valid across restarts on this state directory. A file that is not a secret (cut short, edited)
        is replaced, which revokes every token signed before."""
        path = Path(state_dir) / SECRET_FILE
        try:
            secret = bytes.fromhex(path.read_text().strip())
        except (FileNotFoundError, ValueError):
            secret = b""
        if len(secret) != SECRET_BYTES:
            secret = secrets.token_bytes(SECRET_BYTES)
            _write_private(path, secret.hex() + "\n")
        elif path.stat().st_mode & 0o077:
            path.chmod(0o600)
        return cls(secret)

    def issue(self, claims: dict[str, Any], now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        payload = {"iss": ISSUER, "iat": issued, "exp": issued + self.ttl_seconds, "token_use": "id", **claims}
        return jwt.encode(payload, self.secret, algorithm="HS256")

    def verify(self, token: str, now: float | None = None) -> dict[str, Any]:
        """The token's claims; InvalidToken says what is wrong with it."""
        # exp is checked here: PyJWT compares it with the wall clock only, and a caller may ask about ``now``.
        # iat is not checked, as before the change.
        options = {"require": ["exp"], "verify_exp": False, "verify_iat": False}
        try:
            claims = jwt.decode(token, self.secret, algorithms=["HS256"], issuer=ISSUER, options=options)
        except jwt.InvalidTokenError as error:
            reason = next((REASONS[kind] for kind in type(error).__mro__ if kind in REASONS), None)
            raise InvalidToken(reason or f"the token is not valid: {error}") from None
        if claims["exp"] < (now if now is not None else time.time()):
            raise InvalidToken("the token has expired")
        return claims

    def role_token(self, role: str) -> str:
        username, name = ROLE_USERS[role]
        return self.issue({"sub": f"local-{username}", "cognito:username": username, "name": name, ROLE_CLAIM: [role]})

    def role_tokens(self) -> dict[str, str]:
        return {role: self.role_token(role) for role in ROLE_USERS}


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only, whole or not at all (a temporary file renamed over it, fsynced)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()  # left by a process killed while writing it
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(descriptor, text.encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
