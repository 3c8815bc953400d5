"""Documents in a local (or mounted) folder, walked recursively in a stable order.

A folder of somebody else's files holds more than documents: names that are not valid
UTF-8, symbolic links (to files outside, to folders, in loops), FIFOs, sockets and devices.
None of them may stop or hang an ingest: they are reported as problems with a reason and
never opened (opening a FIFO blocks until a writer comes).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from connectors.documents.base import SourceFile

# Operating-system litter, not documents: skipping it keeps the quarantine meaningful.
IGNORED_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"))


def _undecodable(text: str) -> bool:
    """True when the name held bytes that are not UTF-8 (Python keeps them as surrogates)."""
    return any(0xDC80 <= ord(ch) <= 0xDCFF for ch in text)


def _shown(text: str) -> str:
    """A name as it can be stored and shown: undecodable bytes as ``\\xNN``."""
    return "".join(f"\\x{ord(ch) - 0xDC00:02x}" if 0xDC80 <= ord(ch) <= 0xDCFF else ch for ch in text)


class FolderSource:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.uri = self.root.as_uri()

    def documents(self) -> Iterator[SourceFile]:
        if not self.root.is_dir():
            raise FileNotFoundError(f"{self.root}: not a folder")
        for directory, subdirs, files in os.walk(self.root, followlinks=False):
            subdirs.sort()
            for name in sorted(subdirs):
                if (Path(directory) / name).is_symlink():  # never followed: say so
                    yield self._problem(Path(directory) / name, name,
                                        "a link to a folder: not followed (ingest that folder itself)")
            for name in sorted(files):
                if name in IGNORED_NAMES or name.startswith("._"):
                    continue
                path = Path(directory) / name
                yield self._source_file(path, name)

    def _uri(self, relative: str) -> str:
        # Bytes that are not UTF-8 cannot be stored as text: the URI percent-encodes the raw
        # bytes, so the name stays exact (and unique) while every store can hold it.
        return f"{self.uri}/{quote(os.fsencode(relative))}" if _undecodable(relative) else f"{self.uri}/{relative}"

    def _problem(self, path: Path, name: str, problem: str) -> SourceFile:
        relative = path.relative_to(self.root).as_posix()
        return SourceFile(uri=self._uri(relative), name=_shown(name), relative_path=_shown(relative), size=0,
                          modified="", local_path=None, problem=problem, problem_reason="not_a_file")

    def _source_file(self, path: Path, name: str) -> SourceFile:
        relative = path.relative_to(self.root).as_posix()
        problem = None
        local_path: Path | None = path
        if path.is_symlink():
            try:
                target = path.resolve(strict=True)
            except RuntimeError:
                return self._problem(path, name, "symbolic link loop: the link never reaches a file")
            except OSError:
                return self._problem(path, name, "broken symbolic link: its target does not exist")
            if self.root not in target.parents:
                # A link out of the source folder is a path traversal: never follow it.
                problem = f"symbolic link pointing outside the source folder ({_shown(str(target))})"
                local_path = None
        try:
            info = path.stat() if local_path is not None else path.lstat()
            size, modified = info.st_size, str(info.st_mtime_ns)
        except OSError as exc:
            size, modified, problem = 0, "", problem or f"cannot stat: {exc.strerror}"
            info = None
        if info is not None and problem is None and not stat.S_ISREG(info.st_mode):
            kind = next((what for test, what in _KINDS if test(info.st_mode)), "not a regular file")
            return self._problem(path, name, f"{kind}, not a file: never opened")
        return SourceFile(
            uri=self._uri(relative),
            name=_shown(name),
            relative_path=_shown(relative),
            size=size,
            modified=modified,
            local_path=local_path,
            problem=problem,
        )
