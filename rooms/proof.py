"""The signed proof of a failed attempt: ``<payload>.<Ed25519 signature>``, both base64url.

The payload holds the facts a person may need to show that a video appointment failed
for technical reasons (§ 32 SGB II): when, which office, what was tried, what failed.
The facts include what the proof rests on (``Evidence``: this device's reports, the other
device's, the server's own records); a proof of old without them states nothing on it.
The code carries them itself, so verifying needs no stored row: the attempt log may be
purged after its three months and the proof still verifies until it expires. Anything
wrong with a code — forged, altered by one character, expired, unknown version — is the
one error ``ProofInvalid`` with no reason attached, so the public page reveals nothing.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rooms.attempts import Assessment, Evidence, Failure, Step
from rooms.errors import ProofInvalid

__all__ = ["PROOF_VALIDITY", "MAX_CODE_LENGTH", "ProofFacts", "ProofSigner", "facts_for"]

# Long enough for an objection against a benefit reduction and its decision.
PROOF_VALIDITY = timedelta(days=365)
MAX_CODE_LENGTH = 1200
_PURPOSE = b"vb-attempt-proof:1:"
_STEP_CODES = {s: c for s, c in zip(Step, "lkcwaot", strict=True)}
_FAILURE_CODES = {f: c for f, c in zip(Failure, "nmd", strict=True)}
_EVIDENCE_CODES = {e: c for e, c in zip(Evidence, "ocsnt", strict=True)}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Strict base64url: a non-canonical spelling of the same bytes is refused too."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ProofInvalid() from None
    if _b64(raw) != text:
        raise ProofInvalid()
    return raw


@dataclass(frozen=True, slots=True)
class ProofFacts:
    """What a proof states; ``reference`` is the start of the session's pseudonymous id."""

    proof_id: str
    issued_at: datetime
    expires_at: datetime
    first_at: datetime
    last_at: datetime
    scheduled_at: datetime | None
    office: str
    reference: str
    tried: tuple[Step, ...]
    failures: tuple[Failure, ...]
    evidence: tuple[Evidence, ...] = ()

    @property
    def one_sided(self) -> bool:
        """It rests on the asking device's reports (and the server's), not the other's."""
        return Evidence.OWN in self.evidence and Evidence.OTHER not in self.evidence

    def payload(self) -> dict[str, Any]:
        return {
            "v": 1,
            "id": self.proof_id,
            "i": int(self.issued_at.timestamp()),
            "e": int(self.expires_at.timestamp()),
            "a": int(self.first_at.timestamp()),
            "z": int(self.last_at.timestamp()),
            "s": int(self.scheduled_at.timestamp()) if self.scheduled_at else None,
            "o": self.office,
            "r": self.reference,
            "t": "".join(_STEP_CODES[s] for s in self.tried),
            "f": "".join(_FAILURE_CODES[f] for f in self.failures),
            "b": "".join(_EVIDENCE_CODES[e] for e in self.evidence),
        }

    @classmethod
    def from_payload(cls, data: Any) -> ProofFacts:
        if not isinstance(data, dict) or data.get("v") != 1:
            raise ProofInvalid()
        steps = {c: s for s, c in _STEP_CODES.items()}
        failures = {c: f for f, c in _FAILURE_CODES.items()}
        evidence = {c: e for e, c in _EVIDENCE_CODES.items()}
        try:
            scheduled = data["s"]
            return cls(
                proof_id=str(data["id"]),
                issued_at=_time(data["i"]),
                expires_at=_time(data["e"]),
                first_at=_time(data["a"]),
                last_at=_time(data["z"]),
                scheduled_at=None if scheduled is None else _time(scheduled),
                office=str(data["o"]),
                reference=str(data["r"]),
                tried=tuple(steps[c] for c in str(data["t"])),
                failures=tuple(failures[c] for c in str(data["f"])),
                evidence=tuple(evidence[c] for c in str(data.get("b", ""))),
            )
        except (KeyError, TypeError, ValueError, OverflowError):
            raise ProofInvalid() from None


def _time(value: Any) -> datetime:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("time")
    return datetime.fromtimestamp(value, UTC)


def facts_for(
    assessment: Assessment,
    *,
    now: datetime,
    office: str,
    session_id: str,
    scheduled_at: datetime | None,
) -> ProofFacts:
    """The facts of a proof for a failed ``assessment``; the caller checked it failed."""
    assert assessment.failed and assessment.first_at and assessment.last_at
    return ProofFacts(
        proof_id=secrets.token_urlsafe(6),
        issued_at=now.replace(microsecond=0),
        expires_at=(now + PROOF_VALIDITY).replace(microsecond=0),
        first_at=assessment.first_at.replace(microsecond=0),
        last_at=assessment.last_at.replace(microsecond=0),
        scheduled_at=scheduled_at.replace(microsecond=0) if scheduled_at else None,
        office=office[:120],
        reference=session_id[:8],
        tried=assessment.tried,
        failures=assessment.failures,
        evidence=assessment.evidence,
    )


class ProofSigner:
    """Signs proofs with the instance's proof key and verifies their codes."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self._public = key.public_key()

    def sign(self, facts: ProofFacts) -> str:
        body = _b64(json.dumps(facts.payload(), separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode())
        return f"{body}.{_b64(self._key.sign(_PURPOSE + body.encode()))}"

    def verify(self, code: str, now: datetime) -> ProofFacts:
        """The facts of a genuine, unexpired code; ``ProofInvalid`` for anything else."""
        code = "".join(code.split())  # a code typed in from paper may carry line breaks
        if not code or len(code) > MAX_CODE_LENGTH or code.count(".") != 1:
            raise ProofInvalid()
        body, signature = code.split(".")
        try:
            self._public.verify(_unb64(signature), _PURPOSE + body.encode())
        except InvalidSignature:
            raise ProofInvalid() from None
        try:
            facts = ProofFacts.from_payload(json.loads(_unb64(body)))
        except (ValueError, UnicodeDecodeError):
            raise ProofInvalid() from None
        if now >= facts.expires_at:
            raise ProofInvalid()
        return facts
