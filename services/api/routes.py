"""The HTTP API's routes and who may call them — one list, read by the handler (role check), the CDK app
(API Gateway routes and the JWT authorizer) and the console server.

In AWS a Cognito user pool's groups are the roles: API Gateway's JWT authorizer verifies the token and passes
its claims (``cognito:groups``) to the handler, which checks the route's role again (defence in depth).
Locally the console server plays the authorizer with tokens it signs itself.
"""

from __future__ import annotations

from dataclasses import dataclass

MANAGER_ROLE = "managers"  # may list and decide loan approvals
HR_ROLE = "hr"  # may list and decide training reviews
ROLES = (MANAGER_ROLE, HR_ROLE)
ROLE_CLAIM = "cognito:groups"


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway syntax: {parameter}
    role: str | None  # None: anyone who can reach the API
    summary: str


ROUTES: tuple[Route, ...] = (
    Route("POST", "/apply", None, "apply for a loan (?variant=sfn|durable|hybrid)"),
    Route("GET", "/status/{application_id}", None, "a loan application's status, outcome and progress log"),
    Route("GET", "/approvals", MANAGER_ROLE, "loan approvals waiting for a manager"),
    Route("POST", "/approve/{application_id}", MANAGER_ROLE, "a manager's decision on a loan"),
    Route("GET", "/reviews", HR_ROLE, "training requests waiting for HR review, with score and rationale"),
    Route("POST", "/reviews/{request_id}", HR_ROLE, "an HR reviewer's decision on a training request"),
    Route("GET", "/openapi.json", None, "this API's OpenAPI schema: every route, its role, request and answers"),
)
