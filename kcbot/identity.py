"""Who the citizen is, when the channel knows: a signed token from the municipality's portal.

A web chat behind MitID login passes the citizen's identity in ``metadata.identity`` as a JWT
(RFC 7519), verified here with PyJWT: HS256 with ``KCBOT_IDENTITY_SECRET``, or RS256/ES256 with
the portal's public key (``KCBOT_IDENTITY_PUBLIC_KEY``, a PEM file). ``exp`` is required,
``iss`` and ``aud`` are checked when configured, and the claims ``cpr`` and ``name`` must be
there. The algorithm is chosen by which key is configured, never by the token, so ``alg: none``
and an HS256 token signed with the public key are refused. A token that does not verify is an
error, never an anonymous conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from kcbot.config import IdentitySettings
from kcbot.errors import KcbotError
from kcbot.privacy import cpr_birth_date, find_cpr

__all__ = ["Identity", "IdentityError", "IdentityVerifier"]

ASYMMETRIC = ("RS256", "ES256")
LEEWAY_SECONDS = 30
NAME_MAX = 80


class IdentityError(KcbotError):
    """A token that cannot be trusted; the message is Danish and names no claim values."""


@dataclass(frozen=True)
class Identity:
    navn: str
    cpr: str  # canonical ddmmyy-xxxx; lives only in the turn, the store encrypts or masks it

    def __repr__(self) -> str:  # never a full CPR number in a log line or a traceback
        return f"Identity(navn={self.navn!r}, cpr='{self.cpr[:6]}-XXXX')"


class IdentityVerifier:
    def __init__(self, settings: IdentitySettings) -> None:
        self.settings = settings

    @property
    def configured(self) -> bool:
        return self.settings.configured

    @cached_property
    def _public_key(self) -> Any:
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        path = self.settings.public_key
        assert path is not None
        try:
            return load_pem_public_key(path.read_bytes())
        except (OSError, ValueError, TypeError) as exc:
            raise KcbotError(f"KCBOT_IDENTITY_PUBLIC_KEY={path} kan ikke læses som en offentlig "
                             f"nøgle i PEM-format ({exc.__class__.__name__}).") from None

    def check_setup(self) -> None:
        """Fail at start-up, not at the first citizen, when the public key is unusable."""
        if self.settings.public_key is not None:
            self._public_key  # noqa: B018 - loads and validates

    def verify(self, token: object) -> Identity:
        import jwt

        if not isinstance(token, str) or not token.strip():
            raise IdentityError("'metadata.identity' skal være et signeret token (JWT).")
        if not self.configured:
            raise IdentityError("Kanalen kan ikke modtage identitet: kcbot har ingen nøgle til at "
                                "kontrollere den (KCBOT_IDENTITY_SECRET eller "
                                "KCBOT_IDENTITY_PUBLIC_KEY).")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise IdentityError("Identiteten kunne ikke læses som et JWT.") from None
        alg = header.get("alg")
        if alg == "HS256" and self.settings.secret:
            key: Any = self.settings.secret
        elif alg in ASYMMETRIC and self.settings.public_key is not None:
            key = self._public_key
        else:
            raise IdentityError("Identiteten er ikke signeret på en måde, kcbot godtager.")
        required = ["exp", "cpr", "name"]
        if self.settings.issuer:
            required.append("iss")
        if self.settings.audience:
            required.append("aud")
        try:
            claims = jwt.decode(
                token, key, algorithms=[alg], issuer=self.settings.issuer,
                audience=self.settings.audience, leeway=LEEWAY_SECONDS,
                options={"require": required, "verify_aud": bool(self.settings.audience)},
            )
        except jwt.ExpiredSignatureError:
            raise IdentityError("Identiteten er udløbet. Log ind igen.") from None
        except jwt.MissingRequiredClaimError as exc:
            raise IdentityError(f"Identiteten mangler feltet '{exc.claim}'.") from None
        except jwt.InvalidAudienceError:
            raise IdentityError("Identiteten er ikke udstedt til denne chat.") from None
        except jwt.InvalidIssuerError:
            raise IdentityError("Identiteten er ikke udstedt af den forventede udsteder.") from None
        except jwt.PyJWTError:
            raise IdentityError("Identitetens signatur kunne ikke godkendes.") from None
        return _identity(claims)


def _identity(claims: dict[str, Any]) -> Identity:
    raw_cpr, name = claims.get("cpr"), claims.get("name")
    cpr = find_cpr(raw_cpr) if isinstance(raw_cpr, str) else None
    if cpr is None or cpr_birth_date(cpr) is None or len(raw_cpr.replace("-", "")) != 10:
        raise IdentityError("Identitetens CPR-nummer er ikke gyldigt.")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
        raise IdentityError("Identitetens navn mangler eller er ugyldigt.")
    return Identity(" ".join(name.split()), cpr)
