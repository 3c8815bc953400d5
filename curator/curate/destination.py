"""Where an export may write: a new folder, or a previous Curator export it may replace.

An export folder is replaced as a whole, so the folder must hold nothing but a previous
export of the same format, task and schema, recognised by its manifest and every file in
it listed there. Anything else -- the workspace, one of its parents, a folder of the user's
notes, a file -- is refused before a byte is written: a typo in ``--dest`` must never cost
the user their files.

>>> previous = check_destination(workspace.root, Path("out/swift"), fmt="swift", task="extraction", schema="w2")
>>> staging = new_staging(Path("out/swift"))   # write here, then:
>>> swap_in(staging, Path("out/swift"), previous)
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.json"


class UnsafeDestination(ValueError):
    """The destination holds something an export does not own."""


@dataclass(frozen=True)
class PreviousExport:
    """A previous export at the destination: the files its manifest lists (manifest included)."""

    folder: Path
    files: frozenset[str]


def _files_below(folder: Path) -> set[str]:
    found = set()
    for directory, subdirs, names in os.walk(folder, followlinks=False):
        for name in names + [d for d in subdirs if (Path(directory) / d).is_symlink()]:
            found.add((Path(directory) / name).relative_to(folder).as_posix())
    return found


def check_destination(workspace_root: Path, folder: Path, *, fmt: str, task: str, schema: str | None,
                      recorded: frozenset[str] = frozenset()) -> PreviousExport | None:
    """Refuse a destination the export does not own; return the previous export it replaces.

    ``recorded`` holds the folders the workspace's store lists as its exports."""
    target = Path(os.path.abspath(folder))
    root = workspace_root.resolve()
    resolved = target.resolve()
    if resolved == root or root.is_relative_to(resolved):
        raise UnsafeDestination(f"{folder}: that is the workspace or one of its parents; "
                                "choose a new folder for the export")
    if resolved.is_relative_to(root) and not resolved.is_relative_to(root / "exports"):
        raise UnsafeDestination(f"{folder}: inside the workspace, exports go under {root / 'exports'}")
    if target.is_symlink():
        raise UnsafeDestination(f"{folder}: a symbolic link; give the real folder")
    if not target.exists():
        return None
    if not target.is_dir():
        raise UnsafeDestination(f"{folder}: exists and is not a folder")
    present = _files_below(target)
    if not present:
        return None
    manifest_path = target / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        listed = set(manifest["files"]) | {MANIFEST}
        # Manifests of earlier releases name no schema: the store's record of the folder vouches.
        kept = manifest["schema"] if "schema" in manifest else (schema if str(target) in recorded else None)
        same = (manifest.get("format"), manifest.get("task"), kept) == (fmt, task, schema)
    except (OSError, ValueError, KeyError, TypeError):
        raise UnsafeDestination(f"{folder}: not empty and not a Curator export (no readable {MANIFEST}); "
                                "choose a new or empty folder") from None
    if not same:
        raise UnsafeDestination(
            f"{folder}: holds a {manifest.get('format')} {manifest.get('task')} export"
            + (f" of {manifest.get('schema')}" if manifest.get("schema") else "")
            + f", not {fmt} {task}" + (f" of {schema}" if schema else "") + "; choose another folder")
    others = sorted(present - listed)
    if others:
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        raise UnsafeDestination(f"{folder}: holds files that are not part of the previous export ({shown}); "
                                "move them away or choose another folder")
    return PreviousExport(target, frozenset(present))


def new_staging(folder: Path) -> Path:
    """A fresh folder beside the destination (same file system, so the swap is a rename)."""
    parent = Path(os.path.abspath(folder)).parent
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{folder.name}.writing-", dir=parent))


def swap_in(staging: Path, folder: Path, previous: PreviousExport | None) -> None:
    """Put the finished export in place; the previous one is removed file by file, only what
    its manifest listed, so nothing else can ever be deleted."""
    target = Path(os.path.abspath(folder))
    retired = None
    if previous is not None:
        retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.previous-", dir=target.parent))
        retired.rmdir()
        target.rename(retired)
    elif target.exists():
        target.rmdir()  # an empty folder (checked); fails loudly if something appeared meanwhile
    staging.rename(target)
    if retired is not None:
        remove_export(retired, previous.files)


def remove_export(folder: Path, files: frozenset[str]) -> None:
    """Delete the listed files, then the folders they leave empty; anything else stays."""
    for relative in files:
        path = folder / relative
        if path.is_symlink() or path.is_file():
            path.unlink()
    for directory, _, _ in sorted(os.walk(folder), key=lambda entry: -len(entry[0])):
        try:
            os.rmdir(directory)
        except OSError:
            pass


def discard_staging(staging: Path) -> None:
    """Remove a staging folder this export created (never anything else)."""
    if staging.name.startswith(".") and ".writing-" in staging.name:
        shutil.rmtree(staging, ignore_errors=True)
