"""The console's tokens (duoflow/console/tokens.py) without a runtime: the tokens the hand-written HS256 code issued
before PyJWT still verify, PyJWT's tokens are the same JWTs, and each refusal says what is wrong in our words (this
also guards PyJWT's error classes: a version that moves one fails here)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest

from duoflow.console.tokens import ISSUER, SECRET_FILE, InvalidToken, TokenSigner
from services.api.routes import MANAGER_ROLE, ROLE_CLAIM

ISSUED = 1_700_000_000
TWELVE_HOURS = 12 * 3600
COGNITO_CLAIMS = ("sub", "cognito:username", "name", ROLE_CLAIM)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hand_made(secret: bytes, claims: dict, header: dict | None = None) -> str:
    """A token as the code before PyJWT made it: compact JSON, base64url without padding, HMAC-SHA256."""
    parts = [
        b64(json.dumps(part, separators=(",", ":")).encode())
        for part in (header or {"alg": "HS256", "typ": "JWT"}, claims)
    ]
    signature = hmac.new(secret, ".".join(parts).encode(), hashlib.sha256).digest()
    return ".".join([*parts, b64(signature)])


def dana(issued: int = ISSUED) -> dict:
    return {
        "iss": ISSUER,
        "iat": issued,
        "exp": issued + TWELVE_HOURS,
        "token_use": "id",
        "sub": "local-dana.lee",
        "cognito:username": "dana.lee",
        "name": "Dana Lee",
        ROLE_CLAIM: [MANAGER_ROLE],
    }


def test_a_token_issued_before_pyjwt_still_verifies_with_the_kept_secret(tmp_path):
    signer = TokenSigner.kept_in(tmp_path)
    secret = bytes.fromhex((tmp_path / SECRET_FILE).read_text())
    old = hand_made(secret, dana())

    assert TokenSigner.kept_in(tmp_path).verify(old, now=ISSUED + 60) == dana()
    assert signer.verify(old, now=ISSUED + TWELVE_HOURS) == dana()  # valid up to its exp second, as before
    with pytest.raises(InvalidToken, match="^the token has expired$"):
        signer.verify(old, now=ISSUED + TWELVE_HOURS + 1)


def test_a_token_issued_now_is_the_jwt_the_old_code_made_and_checked():
    signer = TokenSigner.for_this_run()
    token = signer.issue({key: dana()[key] for key in COGNITO_CLAIMS}, now=ISSUED)

    header, claims, signature = token.split(".")
    assert json.loads(unb64(header)) == {"alg": "HS256", "typ": "JWT"}
    assert json.loads(unb64(claims)) == dana()
    expected = hmac.new(signer.secret, f"{header}.{claims}".encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(unb64(signature), expected)  # the old code would accept it (a rollback keeps them)


def test_role_tokens_carry_the_cognito_claims_for_twelve_hours():
    signer = TokenSigner.for_this_run()
    claims = signer.verify(signer.role_token(MANAGER_ROLE))
    assert {key: claims[key] for key in ("iss", *COGNITO_CLAIMS)} == {
        key: dana()[key] for key in ("iss", *COGNITO_CLAIMS)
    }
    assert claims["exp"] - claims["iat"] == TWELVE_HOURS


SIGNER = TokenSigner.for_this_run()
NOW = dana(int(time.time()))
HEADER, CLAIMS, SIGNATURE = SIGNER.issue(NOW).split(".")
MORE_ROLES = b64(json.dumps({**NOW, ROLE_CLAIM: [MANAGER_ROLE, "hr"]}).encode())
OTHER_SIGNATURE = ("B" if SIGNATURE[0] == "A" else "A") + SIGNATURE[1:]  # the first character: all six bits count


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        pytest.param(f"{HEADER}.{MORE_ROLES}.{SIGNATURE}", "^the token's signature is not valid", id="claims edited"),
        pytest.param(f"{HEADER}.{CLAIMS}.{OTHER_SIGNATURE}", "signature is not valid for this server", id="signature"),
        pytest.param(TokenSigner.for_this_run().issue(NOW), "signed by another one", id="another server's"),
        pytest.param(SIGNER.issue({"cognito:groups": ["hr"]}, now=0), "^the token has expired$", id="expired"),
        pytest.param(SIGNER.issue({"iss": "someone-else"}), f"^the token was not issued by {ISSUER}$", id="issuer"),
        pytest.param(hand_made(SIGNER.secret, {**NOW, "iss": None}), f"not issued by {ISSUER}", id="no issuer"),
        pytest.param(jwt.encode(NOW, SIGNER.secret * 2, algorithm="HS512"), "must be signed with HS256", id="HS512"),
        pytest.param(hand_made(b"", NOW, {"alg": "none"}).rsplit(".", 1)[0] + ".", "signed with HS256", id="none"),
        pytest.param("nonsense", "^the token is not a JWT", id="one part"),
        pytest.param("a.b", "not a JWT", id="two parts"),
        pytest.param("!!.??.##", "not a JWT", id="not base64url"),
        pytest.param(f"{b64(b'{')}.{CLAIMS}.{SIGNATURE}", "not a JWT", id="header not JSON"),
        pytest.param(hand_made(SIGNER.secret, {"iss": ISSUER}), 'missing the "exp" claim', id="no expiry"),
    ],
)
def test_refusals_say_what_is_wrong(token, reason):
    with pytest.raises(InvalidToken, match=reason):
        SIGNER.verify(token)
