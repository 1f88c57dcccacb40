"""The ten SES event types: the name the SES v2 API uses and the name inside a record."""

from dataclasses import dataclass


@dataclass(frozen=True)
class EventType:
    api_name: str
    """Name in the SES v2 API (`MatchingEventTypes`), e.g. ``RENDERING_FAILURE``."""
    record_name: str
    """Value of ``eventType`` in a published record, e.g. ``Rendering Failure``."""
    detail_key: str
    """Top-level key of the record that holds the event's detail, e.g. ``failure``."""


EVENT_TYPES: tuple[EventType, ...] = (
    EventType("SEND", "Send", "send"),
    EventType("REJECT", "Reject", "reject"),
    EventType("BOUNCE", "Bounce", "bounce"),
    EventType("COMPLAINT", "Complaint", "complaint"),
    EventType("DELIVERY", "Delivery", "delivery"),
    EventType("OPEN", "Open", "open"),
    EventType("CLICK", "Click", "click"),
    EventType("RENDERING_FAILURE", "Rendering Failure", "failure"),
    EventType("DELIVERY_DELAY", "DeliveryDelay", "deliveryDelay"),
    EventType("SUBSCRIPTION", "Subscription", "subscription"),
)

API_NAMES: tuple[str, ...] = tuple(e.api_name for e in EVENT_TYPES)
BY_RECORD_NAME: dict[str, EventType] = {e.record_name: e for e in EVENT_TYPES}
BY_API_NAME: dict[str, EventType] = {e.api_name: e for e in EVENT_TYPES}
