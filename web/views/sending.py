"""What a form that sends a message by SMS or e-mail shows when nothing was sent.

Shared by the caseworker's invitation card and the recipient's "send me this link" box,
so one reason has one status and one sentence on both.
"""

from __future__ import annotations

import re

from web.errors import N_

__all__ = ["EMAIL", "SEND_REFUSALS"]

EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")

# Why nothing was sent -> (status of the page shown again, its message).
SEND_REFUSALS: dict[str, tuple[int, str]] = {
    "email": (400, N_("Please enter a valid e-mail address, for example name@example.de.")),
    "phone": (400, N_("Please enter a valid mobile number, for example 0151 23456789.")),
    "rejected": (400, N_("The address or number was refused. Please check it and try again.")),
    "timeout": (504, N_("The sending service did not answer in time. Nothing was sent; please try again later.")),
    "unavailable": (
        502,
        N_("The sending service is not available right now. Nothing was sent; please try again later."),
    ),
}
