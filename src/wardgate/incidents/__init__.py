"""Incidents: findings grouped by (identity, route, category), with an analyst's workflow.

A security team does not want ten thousand findings; it wants a short list of incidents, each with
a status, an owner, timestamps and links to the audit records that evidence it. Events come from
the gateway's LOG phase (:mod:`.consumer`) and from behavioural detectors; the store
(:mod:`.store`) folds them into incidents in the shared SQLite database; ``wardgate incidents``
runs the workflow from the command line.
"""

from wardgate.incidents.consumer import IncidentConsumer, events_for
from wardgate.incidents.model import (
    AuditLinks,
    ChangeAction,
    Incident,
    IncidentChange,
    IncidentError,
    IncidentEvent,
    IncidentKey,
    IncidentNotFoundError,
    IncidentStatus,
    InvalidTransitionError,
    Note,
    format_incident_id,
    parse_incident_id,
)
from wardgate.incidents.store import (
    DEFAULT_REOPEN_WITHIN_S,
    IncidentStats,
    IncidentStore,
    RecordResult,
)

__all__ = [
    "DEFAULT_REOPEN_WITHIN_S",
    "AuditLinks",
    "ChangeAction",
    "Incident",
    "IncidentChange",
    "IncidentConsumer",
    "IncidentError",
    "IncidentEvent",
    "IncidentKey",
    "IncidentNotFoundError",
    "IncidentStats",
    "IncidentStatus",
    "IncidentStore",
    "InvalidTransitionError",
    "Note",
    "RecordResult",
    "events_for",
    "format_incident_id",
    "parse_incident_id",
]
