"""Property-based fuzzing of the app against its own OpenAPI schema (schemathesis).

No generated input may produce a 5xx, and every response must conform to the schema
(status codes, content types, bodies). Deterministic (derandomized); about 20-50 s, so
marked slow: run with ``-m slow``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

schemathesis = pytest.importorskip("schemathesis")

from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app  # noqa: E402
from tests.api.conftest import KEY_A, make_settings  # noqa: E402

pytestmark = pytest.mark.slow




OPERATIONS = [
    "POST /v1/jobs", "GET /v1/jobs", "GET /v1/jobs/{job_id}", "POST /v1/jobs/{job_id}/cancel",
    "GET /v1/jobs/{job_id}/solution", "GET /v1/jobs/{job_id}/events", "POST /v1/solve",
    "POST /v1/jobs/{job_id}/replan", "GET /v1/jobs/{job_id}/diff",
    "POST /v1/evaluate", "GET /healthz", "GET /readyz", "GET /metrics",
    "GET /v1/travel-models", "GET /v1/travel-models/{model_id}",
    "POST /v1/travel-models/{model_id}/activate", "POST /v1/travel-models/{model_id}/matrix",
    "GET /v1/travel-models/jobs/{job_id}", "POST /v1/travel-models",
    "POST /v1/scenarios", "GET /v1/scenarios/{batch_id}",
    "GET /v1/scenarios/{batch_id}/report", "POST /v1/scenarios/{batch_id}/cancel",
    "GET /v1/scenarios/{batch_id}/events", "POST /v1/webhooks", "GET /v1/webhooks",
    "GET /v1/webhooks/{webhook_id}", "DELETE /v1/webhooks/{webhook_id}",
    "GET /v1/webhooks/{webhook_id}/deliveries",
    "POST /v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    "POST /v1/jobs/{job_id}/actuals", "GET /v1/jobs/{job_id}/actuals",
    "GET /v1/travel-models/{model_id}/drift", "POST /v1/travel-models/retrain",
    "GET /v1/travel-models/retrain/jobs/{job_id}", "GET /v1/travel-models/retrain/comparisons",
]


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The schema of a started app with tight limits, so generated solves stay short."""
    app = create_app(make_settings(
        tmp_path_factory.mktemp("fuzz"), max_time_limit=1, sync_max_time_limit=0.5,
        max_stops=10, sync_max_stops=10, max_vehicles=10, rate_limit_per_minute=0,
        training_max_trips=1000, training_max_estimators=10))
    with TestClient(app):
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


# operations with a body or a constrained parameter, for schema-invalid input
NEGATIVE = ["POST /v1/jobs", "GET /v1/jobs", "GET /v1/jobs/{job_id}/solution",
            "POST /v1/jobs/{job_id}/replan", "GET /v1/jobs/{job_id}/diff",
            "GET /v1/jobs/{job_id}/events", "POST /v1/solve", "POST /v1/evaluate",
            "POST /v1/travel-models", "POST /v1/travel-models/{model_id}/matrix",
            "POST /v1/scenarios", "POST /v1/webhooks", "POST /v1/jobs/{job_id}/actuals",
            "GET /v1/travel-models/{model_id}/drift", "POST /v1/travel-models/retrain"]


@pytest.mark.parametrize("label,mode", [(op, "positive") for op in OPERATIONS]
                         + [(op, "negative") for op in NEGATIVE])
def test_api_conforms_to_its_schema(api_schema, label: str, mode: str) -> None:
    """Every operation, on schema-valid and schema-invalid input: no server error,
    documented status and content type, a body that matches the schema; invalid input
    is rejected."""
    method, path = label.split(" ", 1)
    operation = api_schema[path][method]

    @given(operation.as_strategy(GenerationMode(mode)))
    @settings(max_examples=40, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        # positive_data_acceptance is left out on purpose: the problem model has
        # cross-field rules (known depot ids, one kind of location, ...) that JSON Schema
        # cannot express, so schema-valid bodies may rightly be refused with a 422.
        case.call_and_validate(headers={"Authorization": f"Bearer {KEY_A}"}, checks=[
            not_a_server_error, status_code_conformance, content_type_conformance,
            response_schema_conformance, negative_data_rejection])

    run()
