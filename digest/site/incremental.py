"""Writing a build into its staging folder, reusing the previous build's files where nothing changed.

Two levels, both ending in the same place — the previous build's file hard-linked
into the staging folder (copied, with its times, where a hard link is impossible),
so after the swap it keeps its inode and mtime and ``rsync``/HTTP caches see it
as unchanged:

- **same inputs**: a page written with a *fingerprint* (a hash of everything it
  is rendered from) that equals the previous build's is not even rendered
  (:meth:`Writer.reuse`); the fingerprints travel in :data:`MANIFEST` inside the
  build, so they are swapped in together with the pages they describe;
- **same bytes**: any other file whose rendered bytes equal the previous build's
  file is not written again (:meth:`Writer.write`).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MANIFEST = ".grantdigest-manifest.json"
"""Page path → fingerprint of the inputs it was rendered from, for the pages that have one."""


class UnsafePath(ValueError):
    """A page path that would leave the output folder (absolute, or with ``..``)."""


@dataclass
class Writer:
    """Writes files under ``staging``; ``previous`` is the published build (or None on the first build)."""

    staging: Path
    previous: Path | None = None
    written: int = 0
    unchanged: int = 0
    paths: list[str] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)
    _old_fingerprints: dict[str, str] | None = None

    def write(self, relpath: str, data: bytes, fingerprint: str | None = None) -> bool:
        """Put ``data`` at ``relpath`` (POSIX, relative); True when it was written, False when the old file was kept."""
        target = self._target(relpath)
        if fingerprint is not None:
            self.fingerprints[relpath] = fingerprint
        if self.previous is not None and self._keep(
            self.previous.joinpath(*PurePosixPath(relpath).parts), target, data
        ):
            self.unchanged += 1
            return False
        target.write_bytes(data)
        self.written += 1
        return True

    def reuse(self, relpath: str, fingerprint: str) -> bool:
        """Keep the previous build's ``relpath`` unrendered when it was made from the same inputs; whether it was."""
        if self.previous is None or self.old_fingerprints.get(relpath) != fingerprint:
            return False
        old = self.previous.joinpath(*PurePosixPath(relpath).parts)
        if not old.is_file() or old.is_symlink():
            return False
        target = self._target(relpath)
        _link(old, target)
        self.fingerprints[relpath] = fingerprint
        self.unchanged += 1
        return True

    @property
    def old_fingerprints(self) -> dict[str, str]:
        if self._old_fingerprints is None:
            self._old_fingerprints = _read_manifest(self.previous / MANIFEST) if self.previous else {}
        return self._old_fingerprints

    def save_manifest(self) -> None:
        """Write the fingerprints of this build beside its pages (call last, before the swap)."""
        body = json.dumps(self.fingerprints, sort_keys=True, separators=(",", ":")).encode("utf-8")
        (self.staging / MANIFEST).write_bytes(body)

    def _target(self, relpath: str) -> Path:
        parts = PurePosixPath(relpath).parts
        if not parts or PurePosixPath(relpath).is_absolute() or ".." in parts or relpath == MANIFEST:
            raise UnsafePath(f"page path must stay inside the site: {relpath!r}")
        target = self.staging.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        self.paths.append(relpath)
        return target

    @staticmethod
    def _keep(old: Path, target: Path, data: bytes) -> bool:
        try:
            if not old.is_file() or old.is_symlink() or old.stat().st_size != len(data) or old.read_bytes() != data:
                return False
        except OSError:
            return False
        _link(old, target)
        return True


def _link(old: Path, target: Path) -> None:
    try:
        os.link(old, target)
    except OSError:  # another file system, or links not supported: a copy keeps the times
        shutil.copy2(old, target)


def _read_manifest(path: Path) -> dict[str, str]:
    """The previous build's fingerprints; an unreadable manifest only costs a full render."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
