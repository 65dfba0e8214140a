"""The HTTP API and who may call it: API Gateway (HTTP API) → the ``duoflow-api`` function's ``live`` alias.

Routes come from services/api/routes.py. A route with a role sits behind a JWT authorizer that trusts one
Cognito user pool; the pool's groups are the roles (``managers``, ``hr``) and reach the handler as the
``cognito:groups`` claim, where the handler checks the route's role again. Routes without a role (apply, status)
are open, as a public loan form is. The default stage is throttled and writes JSON access logs.
"""

from __future__ import annotations

import json

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import Settings
from infra.functions import LOG_RETENTION
from infra.nag import acknowledge
from services.api.routes import ROLES, ROUTES

API_FUNCTION = "duoflow-api"
THROTTLE_RATE_PER_SECOND = 50
THROTTLE_BURST = 100
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "method": "$context.httpMethod",
    "route": "$context.routeKey",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "latencyMs": "$context.responseLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
}


class Auth(Construct):
    """The user pool whose groups are the API's roles, and the app client people sign in with."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "users",
            user_pool_name=f"{settings.stack_name}-users",
            self_sign_up_enabled=False,  # people are added by an administrator (README.md, 'Deploy to AWS')
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            removal_policy=RemovalPolicy.RETAIN if settings.retain_data else RemovalPolicy.DESTROY,
        )
        for role in ROLES:
            cognito.CfnUserPoolGroup(
                self,
                f"group-{role}",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=role,
                description=f"duoflow role '{role}' (services/api/routes.py)",
            )
        self.client = self.user_pool.add_client(
            "api-client",
            user_pool_client_name=f"{settings.stack_name}-api",
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            generate_secret=False,  # a command-line or browser client cannot keep a secret
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
        )
        acknowledge(
            self.user_pool,
            "COG2",
            "MFA is optional, not required: the demo's managers and HR reviewers are created by an administrator "
            "and sign in from the command line (README.md, 'Deploy to AWS'); require it for real people.",
        )
        acknowledge(
            self.user_pool,
            "COG8",
            "The Plus feature plan (threat protection) is billed per monthly active user; this reference "
            "deployment has a handful of administrator-created users and no self sign-up.",
        )


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        handler: lambda_.IFunction,
        auth: Auth,
    ) -> None:
        super().__init__(scope, construct_id)
        region = Stack.of(self).region
        authorizer = authorizers.HttpJwtAuthorizer(
            "role-authorizer",
            f"https://cognito-idp.{region}.amazonaws.com/{auth.user_pool.user_pool_id}",
            jwt_audience=[auth.client.user_pool_client_id],
            authorizer_name="cognito-roles",
        )
        self.http_api = apigw.HttpApi(
            self,
            "http-api",
            api_name=settings.stack_name,
            description="duoflow: loan applications, status, manager approvals, HR reviews",
        )
        integration = integrations.HttpLambdaIntegration("api-function", handler)
        for route in ROUTES:
            routes = self.http_api.add_routes(
                path=route.path,
                methods=[apigw.HttpMethod(route.method)],
                integration=integration,
                authorizer=authorizer if route.role else None,
            )
            if not route.role:
                for created in routes:
                    acknowledge(
                        created,
                        "APIG4",
                        f"{route.method} {route.path} is open by design ({route.summary}): anyone may apply for "
                        "a loan, follow it by its id and read the API's schema; decisions need a signed-in manager "
                        "or HR reviewer.",
                    )
        self._configure_default_stage()

    def _configure_default_stage(self) -> None:
        access_logs = logs.LogGroup(self, "access-logs", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY)
        stage = self.http_api.default_stage.node.default_child
        stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn, format=json.dumps(ACCESS_LOG_FORMAT)
        )
        stage.default_route_settings = apigw.CfnStage.RouteSettingsProperty(
            throttling_rate_limit=THROTTLE_RATE_PER_SECOND, throttling_burst_limit=THROTTLE_BURST
        )

    @property
    def url(self) -> str:
        return self.http_api.api_endpoint
