"""Documents in a local (or mounted) folder, walked recursively in a stable order."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from connectors.documents.base import SourceFile

# Operating-system litter, not documents: skipping it keeps the quarantine meaningful.
IGNORED_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


class FolderSource:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.uri = self.root.as_uri()

    def documents(self) -> Iterator[SourceFile]:
        if not self.root.is_dir():
            raise FileNotFoundError(f"{self.root}: not a folder")
        for directory, subdirs, files in os.walk(self.root, followlinks=False):
            subdirs.sort()
            for name in sorted(files):
                if name in IGNORED_NAMES or name.startswith("._"):
                    continue
                path = Path(directory) / name
                yield self._source_file(path, name)

    def _source_file(self, path: Path, name: str) -> SourceFile:
        relative = path.relative_to(self.root).as_posix()
        problem = None
        local_path: Path | None = path
        if path.is_symlink():
            target = path.resolve()
            if self.root not in target.parents:
                # A link out of the source folder is a path traversal: never follow it.
                problem = f"symbolic link pointing outside the source folder ({target})"
                local_path = None
        try:
            stat = path.stat() if local_path is not None else path.lstat()
            size, modified = stat.st_size, str(stat.st_mtime_ns)
        except OSError as exc:
            size, modified, problem = 0, "", problem or f"cannot stat: {exc.strerror}"
        return SourceFile(
            uri=f"{self.uri}/{relative}",
            name=name,
            relative_path=relative,
            size=size,
            modified=modified,
            local_path=local_path,
            problem=problem,
        )
