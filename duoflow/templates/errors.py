"""The one error a template can raise: it names where in the template the problem is, for the person who wrote it."""

from __future__ import annotations


class TemplateError(Exception):
    """A template the runtime cannot deploy as written: ``where`` names the resource and property
    (``Resources.LoanFunction.Properties.Handler``), ``problem`` says what is wrong there."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)
        self.where = where
        self.problem = problem
