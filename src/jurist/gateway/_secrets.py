"""Secrets at rest: provider keys encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under
``JURIST_SECRET_KEY``, client tokens kept only as SHA-256 hashes, and the redaction of every known key
from text that leaves the gateway.

``JURIST_SECRET_KEY`` is a Fernet key (32 random bytes, URL-safe base64); several, comma-separated,
rotate: the first encrypts, any decrypts. Make one with::

    python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable

from jurist.errors import ConfigError

SECRET_KEY_ENV = "JURIST_SECRET_KEY"
_KEYGEN = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
#: Prefix of the client tokens the gateway makes, so that a leaked one is recognisable.
TOKEN_PREFIX = "jgw-"


class Cipher:
    """Encrypts and decrypts stored secrets under the master key(s) in ``JURIST_SECRET_KEY``."""

    def __init__(self, master: str) -> None:
        from cryptography.fernet import Fernet, MultiFernet

        keys = [k.strip() for k in master.split(",") if k.strip()]
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
        except (ValueError, TypeError):
            raise ConfigError(
                f"{SECRET_KEY_ENV} is not a Fernet key (32 random bytes in URL-safe base64); make one with: {_KEYGEN}"
            ) from None

    @classmethod
    def from_env(cls) -> Cipher | None:
        master = os.environ.get(SECRET_KEY_ENV, "").strip()
        return cls(master) if master else None

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(bytes(token)).decode("utf-8")
        except InvalidToken:
            raise ConfigError(
                f"a stored secret cannot be decrypted with {SECRET_KEY_ENV}: the master key changed; "
                "put the old key after the new one (comma-separated) to read secrets stored under it"
            ) from None


def no_cipher_error() -> ConfigError:
    return ConfigError(f"stored secrets need a master key: set {SECRET_KEY_ENV} (make one with: {_KEYGEN})")


def new_client_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored for a client token: tokens are 256 random bits, so a plain SHA-256 is enough."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_secret(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


#: How API keys of well-known providers start (OpenAI, Anthropic, AWS, Google, Groq, xAI, Hugging Face …).
_KEY_PREFIXES = ("sk-", "sk_", "rk-", "pk-", "AKIA", "ASIA", "AIza", "gsk_", "xai-", "hf_", "ghp_", "r8_",
                 "nvapi-", "pplx-", "jgw-")


def looks_like_key(value: str) -> bool:
    """Whether ``value``, written where a name belongs (an environment variable, a secret's name), is more
    likely a key pasted there: a provider's key prefix, or a long run of mixed letters and digits."""
    if value.startswith(_KEY_PREFIXES):
        return True
    digits = sum(c.isdigit() for c in value)
    return len(value) >= 24 and digits >= 4 and any(c.islower() for c in value) and any(c.isupper() for c in value)


def masked(value: str) -> str:
    """A name as it may be shown in a message: itself, or when it looks like a key, its first three
    characters and its length only."""
    if not looks_like_key(value):
        return value
    return f"{value[:3]}…({len(value)} characters, hidden: it looks like a key)"


class Redactor:
    """Replaces every known key in a text with ``***`` (keys shorter than 6 characters are not keys)."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self.values = tuple(sorted({v for v in values if v and len(v) >= 6}, key=len, reverse=True))
        # Keys of one provider share their first characters (sk-proj-, AIza …): one search for each such
        # start, then only the keys that start so. Every answer passes through here, so this stays cheap.
        groups: dict[str, list[str]] = {}
        for v in self.values:
            groups.setdefault(v[:4], []).append(v)
        self._groups = tuple((start, tuple(vs)) for start, vs in groups.items())
        by_first: dict[str, list[str]] = {}
        for v in self.values:
            by_first.setdefault(v[0], []).append(v)
        self._by_first = {c: tuple(vs) for c, vs in by_first.items()}
        self._longest = max((len(v) for v in self.values), default=0)

    def __call__(self, text: str) -> str:
        found = [v for start, values in self._groups if start in text for v in values if v in text]
        if len(found) > 1:
            found.sort(key=len, reverse=True)  # a key inside a longer one goes after it
        for v in found:
            text = text.replace(v, "***")
        return text

    def __bool__(self) -> bool:
        return bool(self.values)

    def held_back(self, text: str) -> int:
        """How many characters at the end of ``text`` could be the start of a key that the next piece of a
        stream completes: a stream's text is sent only up to there, so a key split over two chunks is still
        caught whole."""
        end = len(text)
        # From the earliest place a key could still be starting (the longest piece) to the end; a key can
        # start only at one of its first characters.
        for p in range(max(0, end - self._longest + 1), end):
            keys = self._by_first.get(text[p])
            if keys:
                tail = text[p:]
                if any(len(v) > len(tail) and v.startswith(tail) for v in keys):
                    return end - p
        return 0

    def body(self, raw: bytes) -> bytes:
        """A response body with every known key replaced (bytes that are not UTF-8 are left as they are)."""
        if not self.values:
            return raw
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw
        redacted = self(text)
        return raw if redacted is text else redacted.encode("utf-8")
