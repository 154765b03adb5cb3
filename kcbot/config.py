"""Settings in one place. Every setting has a default, can be set in the environment with the
``KCBOT_`` prefix, and the CLI's flags (``--db``) win over both. Tests point everything at
``tmp_path`` through the same variables."""

from __future__ import annotations

import dataclasses
import importlib.util
import ipaddress
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from kcbot.errors import ConfigError

__all__ = ["IdentitySettings", "RetentionSettings", "Settings", "SmtpSettings", "WebchatSettings",
           "cache_dir", "config_dir", "data_path", "env_float", "env_int", "is_loopback"]

APP = "kcbot"
_PACKAGE_DIR = Path(__file__).resolve().parent


def cache_dir() -> Path:
    """The cache folder: ``KCBOT_CACHE_DIR``, else the user's cache folder for kcbot."""
    return Path(os.environ.get("KCBOT_CACHE_DIR") or platformdirs.user_cache_dir(APP))


def data_path(name: str) -> Path:
    """Where the ``intents`` or ``dialogues`` folder lives.

    A source checkout uses the folder beside the package, so edits take effect at once; an
    installed wheel carries a copy in ``kcbot/_data``. ``KCBOT_INTENTS_DIR`` /
    ``KCBOT_DIALOGUES_DIR`` override both."""
    override = os.environ.get(f"KCBOT_{name.upper()}_DIR")
    if override:
        return Path(override)
    for candidate in (_PACKAGE_DIR.parent / name, _PACKAGE_DIR / "_data" / name):
        if candidate.is_dir():
            return candidate
    raise ConfigError(f"Mappen '{name}' findes ikke ved kcbot-pakken. Er kcbot installeret helt?")


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} er ikke et tal.") from None


def env_float(name: str, default: float, minimum: float | None = None) -> float:
    """A finite number from ``KCBOT_…``, or ``default``; anything else is a Danish error."""
    value = _float_env(name, default)
    if not math.isfinite(value) or (minimum is not None and value < minimum):
        raise ConfigError(f"{name}={os.environ.get(name)!r}: skal være et endeligt tal"
                          + (f" på mindst {minimum:g}." if minimum is not None else "."))
    return value


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} er ikke et helt tal.") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}={raw!r}: skal være mindst {minimum}.")
    return value


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _env(name: str) -> str | None:
    raw = os.environ.get(name)
    return raw.strip() if raw and raw.strip() else None


def config_dir() -> Path:
    """The user config folder (the generated data key lives here); ``KCBOT_CONFIG_DIR`` wins."""
    return Path(_env("KCBOT_CONFIG_DIR") or platformdirs.user_config_dir(APP))


SMTP_TLS_MODES = ("starttls", "tls", "none")


@dataclass(frozen=True)
class SmtpSettings:
    """Outgoing mail. ``host`` unset means delivery is not configured."""

    host: str | None = None
    port: int = 587
    sender: str | None = None  # KCBOT_SMTP_FROM
    user: str | None = None
    password: str | None = None
    tls: str = "starttls"
    timeout: float = 30.0

    @property
    def configured(self) -> bool:
        return bool(self.host and self.sender)

    @classmethod
    def from_env(cls) -> SmtpSettings:
        tls = (_env("KCBOT_SMTP_TLS") or "starttls").lower()
        if tls not in SMTP_TLS_MODES:
            raise ConfigError(f"KCBOT_SMTP_TLS={tls!r}: brug {', '.join(SMTP_TLS_MODES)}.")
        default_port = {"starttls": 587, "tls": 465, "none": 25}[tls]
        raw_port = _env("KCBOT_SMTP_PORT")
        try:
            port = int(raw_port) if raw_port else default_port
        except ValueError:
            raise ConfigError(f"KCBOT_SMTP_PORT={raw_port!r} er ikke et portnummer.") from None
        if not 0 < port < 65536:
            raise ConfigError(f"KCBOT_SMTP_PORT={port} er ikke et portnummer (1-65535).")
        return cls(host=_env("KCBOT_SMTP_HOST"), port=port, sender=_env("KCBOT_SMTP_FROM"),
                   user=_env("KCBOT_SMTP_USER"), password=os.environ.get("KCBOT_SMTP_PASSWORD"),
                   tls=tls)


@dataclass(frozen=True)
class IdentitySettings:
    """How a channel's signed identity token is checked (``metadata.identity``)."""

    secret: str | None = None  # KCBOT_IDENTITY_SECRET, for HS256
    public_key: Path | None = None  # KCBOT_IDENTITY_PUBLIC_KEY, a PEM file for RS256/ES256
    issuer: str | None = None  # KCBOT_IDENTITY_ISSUER, checked when set
    audience: str | None = None  # KCBOT_IDENTITY_AUDIENCE, checked when set

    @property
    def configured(self) -> bool:
        return bool(self.secret or self.public_key)

    @classmethod
    def from_env(cls) -> IdentitySettings:
        key = _env("KCBOT_IDENTITY_PUBLIC_KEY")
        return cls(secret=_env("KCBOT_IDENTITY_SECRET"), public_key=Path(key) if key else None,
                   issuer=_env("KCBOT_IDENTITY_ISSUER"), audience=_env("KCBOT_IDENTITY_AUDIENCE"))


@dataclass(frozen=True)
class RetentionSettings:
    """How long personal data is kept (GDPR storage limitation), in days."""

    transcript_days: int = 90  # turns, events, the sender id and dialogue state
    retry_days: int = 7  # processed message ids (channel retries)
    case_days: int = 365  # journal notes, closed tickets' personal fields, delivered mail
    purge_hour: int = 3  # kcbot serve purges once a night after this hour (Copenhagen)

    @classmethod
    def from_env(cls) -> RetentionSettings:
        d = cls()
        hour = env_int("KCBOT_PURGE_HOUR", d.purge_hour, minimum=0)
        if hour > 23:
            raise ConfigError(f"KCBOT_PURGE_HOUR={hour}: skal være 0-23.")
        return cls(
            transcript_days=env_int("KCBOT_RETENTION_TRANSCRIPT_DAYS", d.transcript_days,
                                    minimum=1),
            retry_days=env_int("KCBOT_RETENTION_RETRY_DAYS", d.retry_days, minimum=1),
            case_days=env_int("KCBOT_RETENTION_CASE_DAYS", d.case_days, minimum=1),
            purge_hour=hour,
        )


@dataclass(frozen=True)
class Settings:
    db_path: Path = field(default_factory=lambda: default_db_path())
    # KCBOT_DATABASE_URL=postgresql://…: the shared PostgreSQL store instead of the SQLite
    # file (several workers or machines; README "Scaling beyond one machine").
    database_url: str | None = field(default_factory=lambda: default_database_url())
    cache_dir: Path = field(default_factory=lambda: cache_dir())
    # Below this calibrated confidence the classifier answers nlu_fallback.
    nlu_threshold: float = field(
        default_factory=lambda: env_float("KCBOT_NLU_THRESHOLD", 0.45, minimum=0.0)
    )

    # A conversation with no message for this long has ended (afbrudt unless something was
    # settled); the next message starts a new one.
    idle_minutes: float = field(
        default_factory=lambda: env_float("KCBOT_IDLE_MINUTES", 30.0, minimum=0.0))

    # How long SQLite waits for another writer's lock, and how long a turn keeps trying (with
    # backoff) before the channel answers 503 and the citizen's client tries again.
    busy_timeout_ms: int = field(
        default_factory=lambda: env_int("KCBOT_BUSY_TIMEOUT_MS", 5000, minimum=1))
    store_retry_seconds: float = field(
        default_factory=lambda: env_float("KCBOT_STORE_RETRY_SECONDS", 10.0, minimum=0.0))

    def with_db(self, path: Path) -> Settings:
        """The same settings on another store (a throw-away one for tests and benchmarks)."""
        return dataclasses.replace(self, db_path=path, database_url=None)

    @property
    def store_target(self) -> str | Path:
        """What ``Store.open`` takes: the PostgreSQL URL when one is set, else the file."""
        return self.database_url or self.db_path

    @classmethod
    def from_env(cls, db: str | os.PathLike[str] | None = None,
                 database_url: str | None = None) -> Settings:
        """``db`` (``--db``) names an SQLite file and wins over ``KCBOT_DATABASE_URL``;
        ``database_url`` (``--database-url``) wins over both."""
        if database_url:
            return cls(database_url=_checked_url(database_url, "--database-url"))
        return cls(db_path=Path(db), database_url=None) if db else cls()


def _checked_url(url: str, name: str) -> str:
    from kcbot.store.base import is_database_url

    if not is_database_url(url):
        raise ConfigError(f"{name}: {url!r} er ikke en PostgreSQL-adresse "
                          "(postgresql://bruger:kode@vært:5432/database).")
    return url


def default_database_url() -> str | None:
    url = _env("KCBOT_DATABASE_URL")
    return _checked_url(url, "KCBOT_DATABASE_URL") if url else None


def default_db_path() -> Path:
    env = os.environ.get("KCBOT_DB")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir(APP)) / "kcbot.sqlite3"


@dataclass(frozen=True)
class WebchatSettings:
    """The citizens' web chat page (``/chat/``) and the session tokens it talks with."""

    # KCBOT_CHAT_SECRET signs the page's session tokens; unset, a random key per process (a
    # restart or a second worker then starts the open chats afresh).
    secret: str | None = None
    # KCBOT_CHAT_ORIGINS: the municipality's sites that may embed the chat (frame-ancestors)
    # and hand it an identity token by postMessage, e.g. "https://www.kk.dk https://kk.dk".
    origins: tuple[str, ...] = ()
    # KCBOT_CHAT_SESSION_MINUTES: how long a session token lives; longer than the idle timeout,
    # so a token never runs out under a conversation that is still going.
    session_minutes: float = 60.0

    @classmethod
    def from_env(cls) -> WebchatSettings:
        origins = []
        for raw in (_env("KCBOT_CHAT_ORIGINS") or "").replace(",", " ").split():
            origin = raw.rstrip("/")
            scheme, _, host = origin.partition("://")
            if scheme not in ("https", "http") or not host or "/" in host or "'" in host \
                    or ";" in host or "*" in host:
                raise ConfigError(f"KCBOT_CHAT_ORIGINS: {raw!r} er ikke en oprindelse som "
                                  "https://www.kk.dk (skema og vært, ingen sti).")
            origins.append(origin)
        minutes = _float_env("KCBOT_CHAT_SESSION_MINUTES", 60.0)
        if not 1 <= minutes <= 24 * 60:
            raise ConfigError(f"KCBOT_CHAT_SESSION_MINUTES={minutes:g}: brug 1 til 1440.")
        return cls(secret=_env("KCBOT_CHAT_SECRET"), origins=tuple(origins),
                   session_minutes=minutes)


def installed_version(package: str) -> str:
    """An installed package's version, from its dist-info folder's name, read without importing
    the package (or ``importlib.metadata``, which costs as much): a key for what the cache
    folder keeps of it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.origin:
        return "ukendt"
    for dist in Path(spec.origin).parent.parent.glob(f"{package}-*.dist-info"):
        return dist.name[len(package) + 1:-len(".dist-info")]
    return "ukendt"
