"""Key rotation: a new primary key, every stored secret re-encrypted under it, nothing lost.

The order makes every failure safe. Everything is first checked to decrypt with the
current keys (else nothing changes). The key file, when keys come from one, is rewritten
(atomically) with the new key in front of the old ones before any secret is re-encrypted,
so whatever happens next every ciphertext stays readable; the re-encryption itself is one
transaction. Old keys stay until `prune` checks that the primary alone opens everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core.config import Settings
from kasal.core.crypto import SecretBox, generate_key, key_file_path, write_key_file
from kasal.core.errors import ConfigError, Conflict
from kasal.secrets import service as secrets


@dataclass(frozen=True)
class KeyChange:
    keys: tuple[str, ...]  # the keys now needed, primary first
    key_file: Path | None  # rewritten; None when they come from KASAL_SECRET_KEYS
    reencrypted: int = 0


async def rotate(
    session: AsyncSession, settings: Settings, new_key: str | None = None, *, new: bool = True
) -> KeyChange:
    """Put `new_key` (or a generated key; none if `new` is false) in front, re-encrypt all."""
    box = await _current_box(session, settings)
    bad = await secrets.undecryptable(session, box)
    if bad:
        raise Conflict(
            "secrets_undecryptable",
            f"{bad} stored secret(s) cannot be decrypted with the current keys ({box.source}). "
            "Nothing was changed: restore the missing key first.",
        )
    target = box.with_primary(new_key or generate_key()) if new else box
    if box.key_file is not None and target.keys != box.keys:
        write_key_file(box.key_file, target.keys)
    count = await secrets.reencrypt_all(session, target)
    return KeyChange(target.keys, box.key_file, count)


async def prune(session: AsyncSession, settings: Settings) -> KeyChange:
    """Drop every key but the primary, once the primary alone opens every stored secret."""
    box = await _current_box(session, settings)
    primary = box.primary_only()
    bad = await secrets.undecryptable(session, primary)
    if bad:
        raise Conflict(
            "old_keys_still_needed",
            f"{bad} stored secret(s) still need an older key: run "
            "`kasal secrets rotate --reencrypt-only` first. Nothing was changed.",
        )
    if box.key_file is not None and primary.keys != box.keys:
        write_key_file(box.key_file, primary.keys)
    return KeyChange(primary.keys, box.key_file)


async def _current_box(session: AsyncSession, settings: Settings) -> SecretBox:
    """The configured keys; a missing key file is an error unless nothing is stored yet."""
    try:
        return SecretBox.from_settings(settings, create=False)
    except ConfigError:
        if key_file_path(settings).exists() or await secrets.stored_count(session):
            raise
        return SecretBox.from_settings(settings)  # a first key: there is nothing to lose
