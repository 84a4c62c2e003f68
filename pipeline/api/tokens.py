"""API tokens: read-only or admin, stored hashed (table ``api_token``), shown once when created.

A token is 32 random bytes (``rw_`` + URL-safe base64). Only its SHA-256 is stored: a token has far
more entropy than a password, so a fast hash is enough to make a stolen database useless for
calling the API, and it lets a request be checked by one indexed lookup. The first characters are
kept in clear (``prefix``) so that ``regwatch tokens list`` can tell tokens apart.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from pipeline.errors import ConfigError, RegwatchError
from pipeline.store import Store
from pipeline.store.models import ApiToken
from pipeline.store.types import utc_now

log = logging.getLogger(__name__)

token_t = ApiToken.__table__
TOKEN_PREFIX = "rw_"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class TokenError(RegwatchError):
    stage = "tokens"


@dataclass(frozen=True)
class TokenInfo:
    name: str
    admin: bool
    prefix: str
    created_at: datetime


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(store: Store, name: str, *, admin: bool = False) -> str:
    """A new token named ``name``; the caller shows it once, only its hash is kept."""
    if not _NAME.match(name):
        raise ConfigError(f"token name {name!r}: use 1-64 lower-case letters, digits, '.', '-' or '_'")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with store._write() as conn:
            conn.execute(insert(token_t).values(name=name, token_hash=hash_token(token), admin=admin,
                                                prefix=token[:8], created_at=utc_now()))
    except IntegrityError:
        raise TokenError(f"a token named {name!r} exists already (revoke it first)") from None
    log.info("token %s created (%s)", name, "admin" if admin else "read-only")
    return token


def list_tokens(store: Store) -> list[TokenInfo]:
    with store._read() as conn:
        rows = conn.execute(select(token_t.c.name, token_t.c.admin, token_t.c.prefix, token_t.c.created_at)
                            .order_by(token_t.c.name)).all()
    return [TokenInfo(row.name, bool(row.admin), row.prefix, row.created_at) for row in rows]


def revoke_token(store: Store, name: str) -> None:
    with store._write() as conn:
        removed = conn.execute(delete(token_t).where(token_t.c.name == name)).rowcount
    if not removed:
        raise TokenError(f"no token named {name!r} (see `regwatch tokens list`)")
    log.info("token %s revoked", name)


def tokens_configured(store: Store) -> bool:
    with store._read() as conn:
        return bool(conn.execute(select(func.count()).select_from(token_t)).scalar_one())


def verify_token(store: Store, token: str) -> TokenInfo | None:
    """The token's record if ``token`` is a valid one, else None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    with store._read() as conn:
        row = conn.execute(select(token_t.c.name, token_t.c.admin, token_t.c.prefix, token_t.c.created_at)
                           .where(token_t.c.token_hash == hash_token(token))).first()
    return TokenInfo(row.name, bool(row.admin), row.prefix, row.created_at) if row is not None else None
