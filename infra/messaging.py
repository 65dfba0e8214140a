"""Messaging: the SNS topics of catalog/resources.py, encrypted (the AWS-managed aws/sns key) and TLS only.

The AWS-managed key costs nothing and lets any principal of the account that may publish to a topic use it
through SNS; the publishers here (functions, state machines) are all of the account.
"""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from catalog import deployment


class Messaging(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        key = kms.Alias.from_alias_name(self, "sns-key", "alias/aws/sns")
        self.topics: dict[str, sns.Topic] = {
            name: sns.Topic(self, name, display_name=f"duoflow {name}", master_key=key, enforce_ssl=True)
            for name in deployment.topic_names()
        }
