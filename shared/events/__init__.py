"""Event contracts: one module per producing service, plus the envelope they share."""

from shared.events.envelope import ContractError, Envelope, EventBody, envelope_for
from shared.events.intake import ClinicRegistered, StaffRole

__all__ = ["ClinicRegistered", "ContractError", "Envelope", "EventBody", "StaffRole", "envelope_for"]
