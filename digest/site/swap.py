"""Putting a build in place with one atomic rename, so a reader always sees a whole site (issue #18, #16).

The published path ``OUT`` is a symbolic link to one *generation*, a folder in ``.OUT.generations/``
beside it. A build writes a new generation, makes every folder 0755 and every file 0644 (or as the
``[site] umask`` says: whatever modes the build's own umask or temp folders gave them), then puts
a new link onto ``OUT`` with :func:`os.replace` — one rename: a reader opening ``OUT/index.html``
gets the old site or the new one, never neither. The generation just replaced stays until the next
build (a reader may still be inside it); that build removes it, and whatever killed builds left
(generations never linked, links never renamed, the staging and ``.old-`` folders of versions
before this layout). One build at a time holds ``.OUT.generations/.lock``.

An ``OUT`` that is still a real folder (published by an older version) is taken over on the first
build: on Linux the folder and the new link trade places in one ``renameat2(RENAME_EXCHANGE)``;
elsewhere the folder is renamed into the generations and the link put in its place (a moment
without a site, once).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import re
import shutil
import sys
import uuid
from pathlib import Path
from types import TracebackType

DEFAULT_UMASK = 0o022
"""Files 0644, folders 0755: any web server's user can read the site."""
_LOCK = ".lock"
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


class Generations:
    """The generations of the site published at ``out``; use as a context manager (lock, clean-up)."""

    def __init__(self, out: Path, *, umask: int = DEFAULT_UMASK):
        self.out = Path(out)
        self.umask = umask
        self.folder = self.out.parent / f".{self.out.name}.generations"
        self._lock = None

    def __enter__(self) -> Generations:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o777 & ~self.umask)
        self._lock = (self.folder / _LOCK).open("a")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        self.clean()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    @property
    def current(self) -> Path | None:
        """The folder readers see now: the link's target, a folder of an older version, or None (first build)."""
        if self.out.is_symlink():
            target = self.out.resolve()
            return target if target.is_dir() else None
        return self.out if self.out.is_dir() else None

    def new(self) -> Path:
        """An empty folder for the next build, inside the generations (no reader sees it until :meth:`publish`)."""
        folder = self.folder / uuid.uuid4().hex[:16]
        folder.mkdir(mode=0o700)
        return folder

    def publish(self, generation: Path) -> None:
        """Give ``generation`` its modes, then link ``out`` to it in one rename."""
        readable(generation, self.umask)
        link = self.out.parent / f".{self.out.name}.link-{uuid.uuid4().hex[:8]}"
        os.symlink(os.path.relpath(generation, self.out.parent), link)
        try:
            if self.out.is_dir() and not self.out.is_symlink():
                self._take_over(link)
            else:
                os.replace(link, self.out)
        finally:
            if link.is_symlink():
                link.unlink()

    def clean(self) -> list[Path]:
        """Remove what is neither the current site nor the lock: earlier generations and killed builds' leftovers."""
        current = self.current
        removed = []
        for entry in self.folder.iterdir():
            if entry.name != _LOCK and (current is None or entry.resolve() != current):
                _remove(entry)
                removed.append(entry)
        prefix = re.escape(f".{self.out.name}.")
        stale, staging = re.compile(prefix + r"(link|old)-[0-9a-f]{8}"), re.compile(prefix + r"[a-z0-9_]{8}")
        for entry in self.out.parent.iterdir():
            if stale.fullmatch(entry.name) or (staging.fullmatch(entry.name) and entry.is_dir()
                                               and not entry.is_symlink()):
                _remove(entry)
                removed.append(entry)
        return removed

    def _take_over(self, link: Path) -> None:
        """Replace the real folder ``out`` by ``link``; the folder becomes a generation, removed next time."""
        if _exchange(link, self.out):
            link.rename(self.folder / f"legacy-{uuid.uuid4().hex[:8]}")
            return
        self.out.rename(self.folder / f"legacy-{uuid.uuid4().hex[:8]}")
        os.replace(link, self.out)


def readable(folder: Path, umask: int = DEFAULT_UMASK) -> None:
    """Every folder under ``folder`` (itself too) 0777 and every file 0666, less ``umask``."""
    folders, files = 0o777 & ~umask, 0o666 & ~umask
    os.chmod(folder, folders)
    for root, dirs, names in os.walk(folder):
        for name in dirs:
            os.chmod(os.path.join(root, name), folders, follow_symlinks=False)
        for name in names:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, files)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EXDEV, errno.EPERM, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
