"""Consent: versioned texts and the records that prove a participant agreed."""
