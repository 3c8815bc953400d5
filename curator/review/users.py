"""Users, roles and what each role may do.

Permissions are checked here, in the domain functions every caller goes through, so a script
that skips the UI is refused exactly like a button would be.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import select

from curator.store.models import Role, User
from curator.workspace import Workspace

ROLES = (Role.ADMIN, Role.AUTHOR, Role.REVIEWER, Role.VIEWER)
PERMISSIONS: dict[str, frozenset[str]] = {
    Role.VIEWER: frozenset({"read"}),
    Role.REVIEWER: frozenset({"read", "edit", "approve"}),
    Role.AUTHOR: frozenset({"read", "edit", "approve", "export", "finetune"}),
    Role.ADMIN: frozenset({"read", "edit", "approve", "export", "finetune", "manage_users"}),
}
_hasher = PasswordHasher()


class PermissionDenied(PermissionError):
    """The user's role does not allow the action."""


class LoginFailed(ValueError):
    """Unknown user, wrong password or a disabled account (one message for all: no hints)."""


@dataclass(frozen=True)
class Actor:
    """The logged-in person as the domain sees them: a name and a role, nothing secret."""

    name: str
    role: str

    def can(self, action: str) -> bool:
        return action in PERMISSIONS.get(self.role, frozenset())


def require(actor: Actor, action: str) -> None:
    if not actor.can(action):
        raise PermissionDenied(f"{actor.name} ({actor.role}) may not {action.replace('_', ' ')}")


def add_user(workspace: Workspace, name: str, role: str, password: str, *, by: Actor | None = None) -> Actor:
    """Create a user, or change an existing one's role and password.

    ``by`` is checked when given (the UI passes the admin); the CLI runs as the workspace's
    owner, who already holds the files.
    """
    if by is not None:
        require(by, "manage_users")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    name = name.strip()
    if not name:
        raise ValueError("a user needs a name")
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    with workspace.session() as session:
        user = session.exec(select(User).where(User.name == name)).first() or User(name=name, role=role,
                                                                                  password_hash="")
        user.role, user.password_hash, user.active = role, _hasher.hash(password), True
        session.add(user)
        session.commit()
    return Actor(name, role)


def authenticate(workspace: Workspace, name: str, password: str) -> Actor:
    with workspace.session() as session:
        user = session.exec(select(User).where(User.name == name.strip())).first()
        if user is None or not user.active:
            raise LoginFailed("unknown user or wrong password")
        try:
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            raise LoginFailed("unknown user or wrong password") from None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
            session.add(user)
            session.commit()
        return Actor(user.name, user.role)


def list_users(workspace: Workspace) -> list[dict[str, object]]:
    with workspace.session() as session:
        return [{"name": u.name, "role": u.role, "active": u.active, "created_at": u.created_at.isoformat()}
                for u in session.exec(select(User).order_by(User.name))]


def disable_user(workspace: Workspace, name: str, *, by: Actor | None = None) -> None:
    if by is not None:
        require(by, "manage_users")
    with workspace.session() as session:
        user = session.exec(select(User).where(User.name == name)).first()
        if user is None:
            raise ValueError(f"no user {name!r}")
        user.active = False
        session.add(user)
        session.commit()
