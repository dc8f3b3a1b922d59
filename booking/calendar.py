"""The appointment as a calendar file (RFC 5545), with Berlin local times."""

from __future__ import annotations

from datetime import datetime

import icalendar

from booking.availability import BERLIN

__all__ = ["appointment_ics"]


def appointment_ics(
    uid: str, starts_at: datetime, ends_at: datetime, summary: str, description: str, location: str, stamp: datetime
) -> bytes:
    """One VEVENT; DTSTART/DTEND carry TZID=Europe/Berlin so calendars show local time."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Videoberatung//Terminbuchung//DE")
    cal.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", f"{uid}@videoberatung")
    event.add("dtstamp", stamp)
    event.add("dtstart", starts_at.astimezone(BERLIN))
    event.add("dtend", ends_at.astimezone(BERLIN))
    event.add("summary", summary)
    event.add("description", description)
    if location:
        event.add("location", location)
    cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
