"""The local adapter: the packaged models of local_model.py score in-process (no network, deterministic)."""

from __future__ import annotations

from domain.training.models import Screening, TrainingRequest
from services.scorer.local_model import MODEL_ID, RoleMatchModel, shared_model


class LocalScorer:
    def __init__(self, model: RoleMatchModel | None = None) -> None:
        self._model = model

    @property
    def model(self) -> RoleMatchModel:
        return self._model or shared_model()

    def score(self, request: TrainingRequest) -> Screening:
        match = self.model.match(
            request.job_role, request.job_description, request.training_title, request.training_description
        )
        return Screening(score=match.score, rationale=match.rationale, model_id=MODEL_ID)
