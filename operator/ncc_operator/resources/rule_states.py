"""Connection states → the Ready condition, with messages that say who must act, where.

DESIGN §3: ESTABLISHED is Ready; CREATING and PENDING are transitional (faster polling);
REJECTED, DISCONNECTED, EXPIRED and CREATE_FAILED are Warnings with the documented remedy and are
never retried in a loop — a person decides, then requests a retry explicitly. A cost advisory
(a target in another region) rides on the message and the event type, never on the state.
"""

from __future__ import annotations

from dataclasses import dataclass

from ncc_operator.databricks import NccPrivateEndpointRule
from ncc_operator.reconcile import Readiness

RETRY_HINT = (
    "To try again, annotate the resource with ncc-operator.io/reconcile-requested-at=<any new "
    "value>: the operator then replaces the rule at Databricks."
)


@dataclass(frozen=True)
class _State:
    ready: bool
    reason: str
    template: str
    warning: bool = False
    transitional: bool = False


# {id} = rule id, {approver} = who approves where, {error} = Databricks' error message.
_STATES: dict[str, _State] = {
    "ESTABLISHED": _State(True, "Established", "Private endpoint rule {id} is ESTABLISHED."),
    "CREATING": _State(
        False, "Creating", "Databricks is creating private endpoint rule {id}.", transitional=True
    ),
    "PENDING": _State(
        False,
        "AwaitingApproval",
        "Rule {id} is PENDING approval. {approver} Unapproved endpoints expire 14 days after "
        "creation.",
        transitional=True,
    ),
    "REJECTED": _State(
        False,
        "Rejected",
        "The target owner REJECTED rule {id}; serverless traffic does not use it. Agree with the "
        "owner first. " + RETRY_HINT,
        warning=True,
    ),
    "DISCONNECTED": _State(
        False,
        "Disconnected",
        "The target owner removed the connection of rule {id} (DISCONNECTED). " + RETRY_HINT,
        warning=True,
    ),
    "EXPIRED": _State(
        False,
        "Expired",
        "Rule {id} EXPIRED: it was not approved within 14 days. " + RETRY_HINT,
        warning=True,
    ),
    "CREATE_FAILED": _State(
        False,
        "CreateFailed",
        "Databricks could not create rule {id}{error}. Check that the target exists in the NCC's "
        "region, then edit the spec. " + RETRY_HINT,
        warning=True,
    ),
}
_STATES["INIT"] = _STATES["PENDING"]  # deprecated Azure spelling of PENDING

TERMINAL_STATES = frozenset({"REJECTED", "DISCONNECTED", "EXPIRED", "CREATE_FAILED"})
TRANSITIONAL_STATES = frozenset({"CREATING", "PENDING", "INIT"})


def _approver(rule: NccPrivateEndpointRule) -> str:
    if rule.resource_id:
        where = f"private endpoint connection {rule.endpoint_name} " if rule.endpoint_name else ""
        return (
            f"The owner of {rule.resource_id} must approve the {where}in the Azure portal "
            "(resource, Networking, Private endpoint connections) or with "
            "`az network private-endpoint-connection approve`."
        )
    if rule.endpoint_service:
        return (
            f"The owner of VPC endpoint service {rule.endpoint_service} must accept the endpoint "
            "connection (AWS console: VPC, Endpoint services, Endpoint connections; or "
            "`aws ec2 accept-vpc-endpoint-connections`)."
        )
    return "The owner of the target resource must approve the connection."


def state_of(rule: NccPrivateEndpointRule) -> str:
    return str(rule.connection_state or "CREATING")


def readiness_of(rule: NccPrivateEndpointRule, note: str | None = None) -> Readiness:
    """Ready from the connection state; a ``note`` (a cost advisory such as a cross-region
    target) is appended to the message and makes every Ready transition a Warning event, while
    the state itself stays what it is: the rule works, it is not an error."""
    state = _STATES.get(state_of(rule))
    if state is None:
        state = _State(False, "Creating", "")
        message = f"Rule {rule.rule_id} is in state {state_of(rule)}."
    else:
        message = state.template.format(
            id=rule.rule_id,
            approver=_approver(rule),
            error=f": {rule.error_message}" if rule.error_message else "",
        )
    if note:
        message = f"{message} {note}"
    warning = state.warning or bool(note)
    return Readiness(state.ready, state.reason, message, warning, state.transitional)
