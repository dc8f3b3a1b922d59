"""Fallback booking: availability, slots, phone numbers, manage links, calendar files."""
