"""SQLAlchemy table definitions for everything the platform keeps durably, one module per area."""

from __future__ import annotations

from storage.models.accounts import AuditRow, LoginSession, LoginThrottle, Office, PasswordLinkRow, User
from storage.models.base import Base, UTCDateTime
from storage.models.booking import AbsenceRow, AvailabilityHoursRow, BookingRow, CaseworkerScheduleRow
from storage.models.feedback import (
    CaseworkerRatingRow,
    FeedbackBallotRow,
    FeedbackBookingOfferRow,
    FeedbackOfferCountRow,
    FeedbackOfferRow,
    FeedbackResponseRow,
    FeedbackTokenRow,
    RatingMarkerRow,
)
from storage.models.sessions import (
    AttemptEventRow,
    CheckVerdictRow,
    ConsentRow,
    CounselSessionRow,
    InvitationCodeRow,
    InvitationDeliveryRow,
    ParticipantRow,
)

__all__ = [
    "Base",
    "Office",
    "User",
    "LoginSession",
    "LoginThrottle",
    "CounselSessionRow",
    "ParticipantRow",
    "ConsentRow",
    "AuditRow",
    "FeedbackTokenRow",
    "FeedbackOfferRow",
    "FeedbackResponseRow",
    "CaseworkerRatingRow",
    "RatingMarkerRow",
    "UTCDateTime",
    "CheckVerdictRow",
    "CaseworkerScheduleRow",
    "AvailabilityHoursRow",
    "AbsenceRow",
    "BookingRow",
    "FeedbackBallotRow",
    "FeedbackBookingOfferRow",
    "FeedbackOfferCountRow",
    "PasswordLinkRow",
    "InvitationCodeRow",
    "InvitationDeliveryRow",
    "AttemptEventRow",
]
