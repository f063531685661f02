"""Pictures kept with video events: JPEG files under `<data_dir>/snapshots/<tenant>/<camera>/<event id>.jpg`.

Files rather than database rows: a picture is 30–100 KB, written once and read rarely; the event row (in the
events table) names it in its `snapshot` attribute. Ids are checked before they become paths, so a request can
never read outside its tenant's folder.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from beffroi.errors import NotFound, RejectedInput

SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
"""What a tenant, camera or event id may look like to be part of a path (no separators, no '..')."""


class SnapshotStore:
    """Writes and reads event pictures under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, tenant_id: str, camera_id: str, event_id: str) -> Path:
        """Where the picture lives; RejectedInput when an id could escape its folder."""
        for name, value in (("tenant", tenant_id), ("camera", camera_id), ("event", event_id)):
            if not SAFE_ID.match(value) or value.startswith(".."):
                raise RejectedInput("bad_id", f"{name} id {value!r} is not a valid id")
        return self.root / tenant_id / camera_id / f"{event_id}.jpg"

    def save(self, tenant_id: str, camera_id: str, event_id: str, jpeg: bytes) -> Path:
        """Write the picture (atomically: a reader never sees half a file); its path."""
        target = self.path(tenant_id, camera_id, event_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(jpeg)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target

    def read(self, tenant_id: str, camera_id: str, event_id: str) -> bytes:
        """The picture's bytes; NotFound when there is none (or the ids are not valid)."""
        try:
            return self.path(tenant_id, camera_id, event_id).read_bytes()
        except (FileNotFoundError, RejectedInput):
            raise NotFound(f"no snapshot {event_id!r} of camera {camera_id!r}") from None
