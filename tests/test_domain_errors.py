"""The root of the domain errors: a class names its wire code once, a child falls back to its parent's."""

from __future__ import annotations

from booking.errors import BookingError, InvalidOffice, LinkError, LinkExpired
from rooms.domain_errors import DomainError, Reasoned
from rooms.errors import FailureContradicted, NoFailedAttempt, RoomsError


def _own_code(kind: type) -> object:
    return vars(kind).get("code")


def test_a_class_names_its_code_on_itself_and_a_child_without_one_inherits() -> None:
    assert _own_code(LinkExpired) == "link_expired" and _own_code(LinkError) == "link_invalid"
    assert _own_code(FailureContradicted) == "failure_contradicted" and issubclass(FailureContradicted, NoFailedAttempt)
    assert _own_code(BookingError) is None and BookingError.code == RoomsError.code == "bad_request"

    class Unnamed(LinkError): ...

    assert _own_code(Unnamed) is None and Unnamed.code == "link_invalid"


def test_a_reasoned_error_carries_its_reason_and_its_code() -> None:
    error = InvalidOffice("phone")
    assert isinstance(error, DomainError) and isinstance(error, Reasoned)
    assert (error.reason, str(error), error.code) == ("phone", "phone", "invalid_office")
