"""Writing files whole or not at all: through a temporary file beside the target and a rename."""
from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target`` to write to; renamed to ``target`` only when the block succeeds.

    Readers see the old file or the whole new one, never half of it. The temporary name keeps
    ``target``'s suffix, so writers that pick a format from it (Pillow, numpy) still do.
    """
    temporary = target.with_name(".{}.{}.tmp{}".format(target.stem, secrets.token_hex(4), target.suffix))
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
