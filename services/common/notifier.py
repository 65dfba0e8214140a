"""Messages to applicants and managers: SNS in AWS (and on the local runtime), a list in unit tests."""

from __future__ import annotations

import json
from typing import Any, Protocol


class Notifier(Protocol):
    def notify(self, subject: str, message: dict[str, Any]) -> None: ...


class SnsNotifier:
    def __init__(self, sns_client: Any, topic_arn: str) -> None:
        self._sns = sns_client
        self._topic_arn = topic_arn

    def notify(self, subject: str, message: dict[str, Any]) -> None:
        self._sns.publish(TopicArn=self._topic_arn, Subject=subject[:100], Message=json.dumps(message))


class InMemoryNotifier:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def notify(self, subject: str, message: dict[str, Any]) -> None:
        self.sent.append((subject, message))


def applicant_subject(outcome: dict[str, Any]) -> str:
    """The applicant's message subject; the state machines build the same one."""
    return f"Your loan application {outcome['application_id']} was {outcome['outcome']}"
