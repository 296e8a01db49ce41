"""Shapes shared by every custom resource of ncc-operator: API coordinates, annotations, policies,
references, conditions, the status base and the ``metadata`` + ``spec`` + ``status`` wrapper.

This package is the bottom layer of the operator: it imports only pydantic and the standard
library. Field names are snake_case in Python and camelCase on the wire (``by_alias=True``); the
CRDs in ``crds/`` are the other half of the contract and ``tests/models/test_crd_agreement.py``
proves both agree field by field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from .formats import K8S_NAME, validator

GROUP = "networking.ncc-operator.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"

# `ncc-operator.io/paused: "true"` stops all writes to Databricks; the engine reports
# Synced=False ReconcilePaused. Any other value (or absence) means "not paused".
PAUSED_ANNOTATION = "ncc-operator.io/paused"
# Held by NCCs and rules until their Databricks object is deleted (or released by Orphan).
FINALIZER = "ncc-operator.io/finalizer"
# Changing this annotation's value (any token, e.g. a timestamp) forces a re-observe now.
RECONCILE_REQUESTED_AT_ANNOTATION = "ncc-operator.io/reconcile-requested-at"
CREATE_PENDING_ANNOTATION = "state.ncc-operator.io/create-pending"
"""Set (to an RFC 3339 time) before a create is sent and removed once its id is recorded: a
create whose outcome is unknown is looked up, never blindly re-sent (Crossplane's guard). Under
the operator's state prefix, so setting it never triggers a spec-change handler."""

# Databricks object ids (NCC id, rule id) and account ids (UUIDs) end up in URL paths: letters,
# digits and inner hyphens only, so no '/', '.', '%' or a bare '-' can reshape the path.
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$"
# metav1.Condition's reason pattern.
CONDITION_REASON_PATTERN = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"
# Kubernetes Secret data keys.
SECRET_KEY_PATTERN = r"^[-._a-zA-Z0-9]+$"  # noqa: S105 - a key-name pattern
# The name of a Kubernetes object (Secret, DatabricksAccount, NCC): it goes into API paths.
KubernetesName = Annotated[
    str, Field(min_length=1, max_length=253), AfterValidator(validator(K8S_NAME))
]


class CamelModel(BaseModel):
    """Base of every model here: camelCase aliases, frozen, tolerant of unknown keys.

    Unknown keys are ignored (not rejected) so that an operator one version behind the installed
    CRD can still read objects; the apiserver has already pruned anything the CRD does not know.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        extra="ignore",
    )

    def to_k8s(self) -> dict[str, Any]:
        """JSON-ready camelCase dict without ``None`` values, as it is patched into an object."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class DeletionPolicy(StrEnum):
    """What deleting the Kubernetes object does to the Databricks object."""

    DELETE = "Delete"
    ORPHAN = "Orphan"


class ManagementPolicy(StrEnum):
    """Whether the operator may write to Databricks (Manage) or only read (ObserveOnly)."""

    MANAGE = "Manage"
    OBSERVE_ONLY = "ObserveOnly"


class ConditionStatus(StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class ConditionType(StrEnum):
    """The two condition types every kind carries (Crossplane's model)."""

    READY = "Ready"
    SYNCED = "Synced"


class Condition(CamelModel):
    """One entry of ``status.conditions``, in the ``metav1.Condition`` shape."""

    type: str = Field(min_length=1, max_length=316)
    status: ConditionStatus
    # CamelCase, as metav1.Condition demands; the apiserver would refuse the whole status patch.
    reason: str = Field(min_length=1, max_length=1024, pattern=CONDITION_REASON_PATTERN)
    message: str = Field(max_length=32768)
    last_transition_time: datetime
    observed_generation: int | None = Field(default=None, ge=0)

    @field_validator("last_transition_time")
    @classmethod
    def _whole_seconds(cls, value: datetime) -> datetime:
        # metav1.Time has second precision: dropping sub-seconds here keeps a condition equal to
        # itself after a round trip through the apiserver, so "write status only on change" works.
        return value.replace(microsecond=0)


class LocalObjectReference(CamelModel):
    """A reference to another object in the same namespace."""

    name: KubernetesName


class ClientCredentialsSecretRef(CamelModel):
    """A Secret (same namespace) holding an OAuth client id and client secret."""

    name: KubernetesName
    client_id_key: str = Field(
        default="client-id", min_length=1, max_length=253, pattern=SECRET_KEY_PATTERN
    )
    client_secret_key: str = Field(
        default="client-secret", min_length=1, max_length=253, pattern=SECRET_KEY_PATTERN
    )


class TokenSecretRef(CamelModel):
    """A Secret (same namespace) holding a single token."""

    name: KubernetesName
    key: str = Field(default="token", min_length=1, max_length=253, pattern=SECRET_KEY_PATTERN)


class ResourceStatus(CamelModel):
    """Fields of ``status`` common to every kind; subclasses add a typed ``atProvider``."""

    conditions: list[Condition] = Field(default_factory=list, max_length=16)
    observed_generation: int | None = Field(default=None, ge=0)
    id: str | None = None

    def condition(self, type_: str) -> Condition | None:
        """The condition of that type, if present."""
        return next((c for c in self.conditions if c.type == type_), None)


class ObjectMeta(CamelModel):
    """The part of ``metadata`` the operator reads."""

    name: str
    namespace: str
    uid: str | None = None
    generation: int | None = None
    resource_version: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    finalizers: list[str] = Field(default_factory=list)
    deletion_timestamp: datetime | None = None

    @property
    def deleting(self) -> bool:
        return self.deletion_timestamp is not None

    @property
    def paused(self) -> bool:
        # Only the exact (case-insensitive) "true" pauses, as documented: a typo must not
        # silently pause reconciliation.
        return self.annotations.get(PAUSED_ANNOTATION, "").strip().lower() == "true"

    @property
    def create_pending(self) -> str | None:
        return self.annotations.get(CREATE_PENDING_ANNOTATION) or None


SpecT = TypeVar("SpecT", bound=CamelModel)
StatusT = TypeVar("StatusT", bound=ResourceStatus)


class CustomResource(CamelModel, Generic[SpecT, StatusT]):
    """``metadata`` + ``spec`` + ``status`` of one object, parsed from a Kopf body.

    Subclasses bind the spec/status types and set ``KIND`` and ``PLURAL``. A missing or empty
    status (a brand-new object) parses to the status type's defaults.
    """

    KIND: ClassVar[str]
    PLURAL: ClassVar[str]

    metadata: ObjectMeta
    spec: SpecT
    status: StatusT

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Self:
        """Parse a Kopf ``body`` (or any dict of the object as the apiserver returns it)."""
        plain = _plain(body)
        if not plain.get("status"):
            plain["status"] = {}
        return cls.model_validate(plain)

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def namespace(self) -> str:
        return self.metadata.namespace

    @property
    def generation(self) -> int:
        return self.metadata.generation or 0


def _plain(value: Any) -> Any:
    """Deep copy of Mapping/Sequence views (Kopf's Body, Spec, ...) into plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_plain(v) for v in value]
    return value
