"""The role check (services/api/auth.py) and the local tokens (duoflow/console/tokens.py), without a runtime."""

from __future__ import annotations

import re

import pytest

from duoflow.api_client import authorizer_claims, http_api_event, role_claims
from duoflow.console.tokens import InvalidToken, TokenSigner
from services.api.auth import groups_of, refusal, route_for
from services.api.handler import app
from services.api.routes import HR_ROLE, MANAGER_ROLE, ROLE_CLAIM, ROUTES


@pytest.mark.parametrize(
    ("claim", "groups"),
    [
        ("[managers hr]", {"managers", "hr"}),  # API Gateway's JWT authorizer flattens arrays like this
        ("[managers]", {"managers"}),
        (["hr"], {"hr"}),
        ('["managers","hr"]', {"managers", "hr"}),
        ("managers,hr", {"managers", "hr"}),
        ("[]", set()),
        (None, set()),
        (7, set()),
    ],
)
def test_groups_are_read_in_every_shape_cognito_sends(claim, groups):
    assert groups_of({ROLE_CLAIM: claim} if claim is not None else {}) == groups


def test_every_route_the_handler_serves_is_in_the_route_table_and_back():
    served = {(r.method, re.sub(r"<(\w+)>", r"{\1}", r.path)) for r in app._static_routes + app._dynamic_routes}
    assert served == {(route.method, route.path) for route in ROUTES}


def test_route_for_matches_parameters_but_not_extra_segments():
    assert route_for("POST", "/approve/alice-1").role == MANAGER_ROLE
    assert route_for("post", "/approve/alice-1/").path == "/approve/{application_id}"
    assert route_for("POST", "/approve/alice-1/extra") is None
    assert route_for("GET", "/approve/alice-1") is None


def test_refusals_name_the_role_and_what_the_caller_has():
    no_claims = http_api_event("GET", "/approvals")
    assert refusal(no_claims) == (401, "sign in: GET /approvals needs a token with the managers role")
    as_hr = http_api_event("GET", "/approvals", claims=role_claims(HR_ROLE, "priya"))
    assert refusal(as_hr) == (403, "GET /approvals needs the managers role; your token has hr")
    assert refusal(http_api_event("GET", "/approvals", claims=role_claims(MANAGER_ROLE, "dana"))) is None
    assert refusal(http_api_event("POST", "/apply")) is None  # anyone may apply
    assert refusal(http_api_event("GET", "/nowhere"))[0] == 500  # undeclared: fail closed


def test_the_local_authorizer_flattens_claims_like_api_gateway():
    claims = authorizer_claims({"sub": "x", ROLE_CLAIM: ["managers", "hr"], "exp": 5})
    assert claims == {"sub": "x", ROLE_CLAIM: "[managers hr]", "exp": "5"}


def test_tokens_verify_and_refuse_tampering_expiry_and_other_servers():
    signer = TokenSigner.for_this_run()
    token = signer.role_token(MANAGER_ROLE)
    claims = signer.verify(token)
    assert (claims[ROLE_CLAIM], claims["name"]) == ([MANAGER_ROLE], "Dana Lee")

    header, body, signature = token.split(".")
    forged = TokenSigner.for_this_run().issue({ROLE_CLAIM: [MANAGER_ROLE]}).split(".")[1]
    with pytest.raises(InvalidToken, match="signature"):
        signer.verify(f"{header}.{forged}.{signature}")
    with pytest.raises(InvalidToken, match="signature"):
        TokenSigner.for_this_run().verify(token)
    with pytest.raises(InvalidToken, match="expired"):
        signer.verify(token, now=claims["exp"] + 1)
    with pytest.raises(InvalidToken, match="not a JWT"):
        signer.verify("nonsense")
