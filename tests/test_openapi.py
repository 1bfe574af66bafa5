"""Property tests of the HTTP API against its own OpenAPI document: no server errors, every response matches
the schema it promises, every request the schema allows is accepted and every one it forbids is refused.
(bench/schemathesis_full.py runs every phase, stateful included, with 1,000 examples per operation.)"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from hcpcs.web import create_app

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase


@pytest.fixture(scope="session")
def web_schema(all_loaded: Path) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(all_loaded))


schema = schemathesis.pytest.from_fixture("web_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_matches_its_openapi_document(case: OpenApiCase) -> None:
    checks = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance,
              positive_data_acceptance, negative_data_rejection]
    if case.path.startswith("/fhir/"):
        # a FHIR operation's inputs are alternatives the FHIR specification defines (code with system, or a
        # coding, or a codeableConcept, in the query or a Parameters body), which no OpenAPI schema can say:
        # a request the document allows may still lack them and get its OperationOutcome (tests/test_fhir.py)
        checks.remove(positive_data_acceptance)
    case.call_and_validate(checks=checks)
