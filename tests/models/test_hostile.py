"""The models refuse every hostile value of ``hostile.CASES`` with the rule's message, and accept
the borderline valid ones: the operator re-validates each body it reads, so it must agree with
admission (``tests/crds/test_admission_hostile.py`` runs the same table on a real apiserver)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ncc_operator.models import (
    CustomResource,
    DatabricksAccountResource,
    NetworkConnectivityConfigResource,
    NetworkPolicyResource,
    PrivateEndpointRuleResource,
)

from .hostile import CASES, Case

_BY_KIND: dict[str, type[CustomResource[Any, Any]]] = {
    "DatabricksAccount": DatabricksAccountResource,
    "NetworkConnectivityConfig": NetworkConnectivityConfigResource,
    "PrivateEndpointRule": PrivateEndpointRuleResource,
    "NetworkPolicy": NetworkPolicyResource,
}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_models_refuse_what_admission_refuses(case: Case) -> None:
    body = case.obj()
    body["metadata"]["namespace"] = "team-a"
    resource = _BY_KIND[body["kind"]]
    if case.error is None:
        read_back: Any = resource.from_body(body).to_k8s()
        for key in case.path.split("."):
            read_back = read_back[key]
        assert read_back == case.value, case.reason
        return
    with pytest.raises(ValidationError) as refused:
        resource.from_body(body)
    assert (case.model_error or case.error) in str(refused.value), case.reason
