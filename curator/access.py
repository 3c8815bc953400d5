"""Who may do what: roles, and the check every acting domain function makes.

The check reads the user from the store on every call, so an ``Actor`` object is only a
name: a disabled or demoted user loses their rights at once, in an open UI session as in a
script, and an ``Actor("admin", "admin")`` made up by a caller is worth nothing unless the
workspace has that user, enabled, with that role today.

>>> me = require(workspace, "alice", "export")   # PermissionDenied names the role needed
>>> me.role
'author'

The roles follow the IDP Accelerator's: admins manage users; authors run the pipeline
(ingest, bootstrap, teacher, triage, split, export, fine-tuning, evaluation); reviewers edit
and approve labels; viewers read, with sensitive values masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from curator.workspace import Workspace

# The user `curator init` creates; the CLI acts as it unless told otherwise (--as, CURATOR_USER).
LOCAL_ADMIN = "admin"
USER_ENV = "CURATOR_USER"

ROLES = ("admin", "author", "reviewer", "viewer")  # the values of store.models.Role
_READ = frozenset({"read"})
_REVIEW = _READ | {"edit", "approve"}
_AUTHOR = _REVIEW | {"ingest", "bootstrap", "match_decisions", "annotate", "triage", "split", "export",
                     "finetune", "evaluate", "sync", "schemas"}
PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": _READ,
    "reviewer": _REVIEW,
    "author": _AUTHOR,
    "admin": _AUTHOR | {"manage_users", "manage_review"},
}
_VERBS = {"manage_users": "manage users", "manage_review": "approve in bulk or reassign documents",
          "match_decisions": "confirm or reject matches",
          "edit": "edit labels", "approve": "approve or reject labels", "sync": "sync with Label Studio",
          "annotate": "run the teacher", "schemas": "register schemas", "finetune": "run fine-tuning jobs", "read": "read this workspace"}


class PermissionDenied(PermissionError):
    """The acting user may not do this (unknown, disabled, or a role without the right)."""


@dataclass(frozen=True)
class Actor:
    """A user as the domain sees them: a name and the role read from the store, nothing secret."""

    name: str
    role: str

    def can(self, action: str) -> bool:
        return action in PERMISSIONS.get(self.role, frozenset())


def roles_allowed(action: str) -> list[str]:
    return [role for role in ROLES if action in PERMISSIONS[role]]


def require(workspace: Workspace, who: Actor | str | None, action: str) -> Actor:
    """The acting user as stored now, if they may do ``action``; else :class:`PermissionDenied`.

    Every domain function that changes the workspace or spends money calls this first, with
    the name its caller gave: the UI, the CLI (``--as``) and scripts are checked alike.
    """
    from sqlmodel import select

    from curator.store.models import User

    name = (who.name if isinstance(who, Actor) else who or "").strip()
    if not name:
        raise PermissionDenied("no acting user: say who acts (curator --as NAME, or CURATOR_USER)")
    with workspace.session() as session:
        user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        raise PermissionDenied(f"no user {name!r} in this workspace (see `curator users list`)")
    if not user.active:
        raise PermissionDenied(f"user {name!r} is disabled")
    actor = Actor(user.name, user.role)
    if not actor.can(action):
        needed = " or ".join(roles_allowed(action))
        raise PermissionDenied(f"{name} ({user.role}) may not {_VERBS.get(action, action)}: "
                               f"that needs the {needed} role")
    return actor
