"""Users of a workspace: adding, disabling, demoting and logging in.

Only an admin manages users, and the admin is read from the store like any actor
(:func:`curator.access.require`). Log-ins are rate-limited per user name and per address in
the store itself, so every server process of a team workspace counts the same failures.
"""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_
from sqlmodel import select

from curator.access import PERMISSIONS, ROLES, Actor, PermissionDenied, require
from curator.store.models import LoginFailure, User, utcnow
from curator.workspace import Workspace

__all__ = ["ROLES", "PERMISSIONS", "Actor", "PermissionDenied", "LoginFailed", "LoginThrottled", "add_user",
           "authenticate", "current_user", "disable_user", "list_users"]

_hasher = PasswordHasher()
# At most this many failed log-ins per user name (and, more loosely, per address) in the window.
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = timedelta(minutes=15)


class LoginFailed(ValueError):
    """Unknown user, wrong password or a disabled account (one message for all: no hints)."""


class LoginThrottled(LoginFailed):
    """Too many failed log-ins for this name or address: wait before trying again."""


def add_user(workspace: Workspace, name: str, role: str, password: str, *, by: Actor | str) -> Actor:
    """Create a user, or change an existing one's role and password (admins only).

    >>> add_user(workspace, "rita", "reviewer", secret, by="admin")
    """
    require(workspace, by, "manage_users")
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


def _throttled(session, name: str, address: str | None) -> bool:
    since = utcnow() - FAILURE_WINDOW
    by_name = session.exec(select(func.count()).select_from(LoginFailure)
                           .where(LoginFailure.user_name == name, LoginFailure.at >= since)).one()
    if by_name >= MAX_FAILURES_PER_NAME:
        return True
    if address:
        by_address = session.exec(select(func.count()).select_from(LoginFailure)
                                  .where(LoginFailure.address == address, LoginFailure.at >= since)).one()
        return by_address >= MAX_FAILURES_PER_ADDRESS
    return False


def authenticate(workspace: Workspace, name: str, password: str, *, address: str | None = None) -> Actor:
    """The user, if the password is right and the account enabled; :class:`LoginFailed` otherwise.

    After 5 failures for a name (or 20 from one address) in 15 minutes even the right password
    is refused until the window has passed: guessing stays slow whatever the attacker does.
    """
    name = name.strip()
    with workspace.session() as session:
        if _throttled(session, name, address):
            # Counted too: whoever keeps guessing from an address stays throttled there.
            session.add(LoginFailure(user_name=name[:128], address=(address or "")[:64]))
            session.commit()
            raise LoginThrottled("too many failed log-ins: try again in 15 minutes")
        user = session.exec(select(User).where(User.name == name)).first()
        ok = user is not None and user.active and bool(user.password_hash)
        if ok:
            try:
                _hasher.verify(user.password_hash, password)
            except (VerificationError, InvalidHashError):
                ok = False
        if not ok:
            session.add(LoginFailure(user_name=name[:128], address=(address or "")[:64]))
            session.commit()
            raise LoginFailed("unknown user or wrong password")
        session.exec(delete(LoginFailure).where(LoginFailure.user_name == name))
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
            session.add(user)
        session.commit()
        return Actor(user.name, user.role)


def current_user(workspace: Workspace, who: Actor | str) -> Actor | None:
    """The user as stored now (None when unknown or disabled): the UI asks on every run."""
    try:
        return require(workspace, who, "read")
    except PermissionDenied:
        return None


def list_users(workspace: Workspace) -> list[dict[str, object]]:
    with workspace.session() as session:
        return [{"name": u.name, "role": u.role, "active": u.active, "created_at": u.created_at.isoformat()}
                for u in session.exec(select(User).order_by(User.name))]


def disable_user(workspace: Workspace, name: str, *, by: Actor | str) -> None:
    """Disable a user (admins only); their open sessions lose every right at their next action."""
    require(workspace, by, "manage_users")
    with workspace.session() as session:
        user = session.exec(select(User).where(User.name == name)).first()
        if user is None:
            raise ValueError(f"no user {name!r}")
        user.active = False
        session.add(user)
        session.commit()


def forget_failures(workspace: Workspace, older_than: timedelta = FAILURE_WINDOW) -> None:
    """Drop failed log-ins past the window (kept only to count recent ones)."""
    with workspace.session() as session:
        session.exec(delete(LoginFailure).where(or_(LoginFailure.at < utcnow() - older_than)))
        session.commit()
