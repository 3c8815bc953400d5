"""Time-limited claims on labels, so two reviewers never work on the same document.

Claiming is one insert (the label id is the primary key) or, when a lease exists, one
conditional update that only succeeds if it expired or is already ours: the database decides
who wins a race, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError

from curator.access import Actor, require
from curator.store.models import ReviewLease, utcnow
from curator.workspace import Workspace


class LeaseHeld(RuntimeError):
    """Someone else is working on this document."""

    def __init__(self, holder: str, until: datetime) -> None:
        super().__init__(f"{holder} is working on this document until {until:%H:%M} UTC; pick another one")
        self.holder = holder
        self.until = until


def _aware(moment: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; they were stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def claim(workspace: Workspace, actor: Actor, label_id: int, minutes: int | None = None) -> datetime:
    """Take (or renew) the lease on a label; returns when it ends. Raises LeaseHeld."""
    actor = require(workspace, actor, "edit")
    minutes = minutes or workspace.config.review.lease_minutes
    now = utcnow()
    until = now + timedelta(minutes=minutes)
    with workspace.session() as session:
        current = session.get(ReviewLease, label_id)
        if current is not None and current.user_name == actor.name and \
                _aware(current.expires_at) > now + timedelta(minutes=minutes / 2):
            return _aware(current.expires_at)  # ours and fresh: no write on every page view
        if current is not None:
            session.expunge(current)
        try:
            session.add(ReviewLease(label_id=label_id, user_name=actor.name, expires_at=until))
            session.commit()
            return until
        except IntegrityError:
            session.rollback()
        taken = session.execute(
            update(ReviewLease)
            .where(ReviewLease.label_id == label_id,
                   or_(ReviewLease.expires_at < now, ReviewLease.user_name == actor.name))
            .values(user_name=actor.name, expires_at=until))
        session.commit()
        if taken.rowcount == 1:
            return until
        lease = session.get(ReviewLease, label_id)
        if lease is None:  # released in between: try once more
            return claim(workspace, actor, label_id, minutes)
        raise LeaseHeld(lease.user_name, _aware(lease.expires_at))


def release(workspace: Workspace, actor: Actor, label_id: int) -> None:
    """Give up one's own lease (the user is read from the store: a made-up actor cannot)."""
    actor = require(workspace, actor, "edit")
    with workspace.session() as session:
        session.execute(delete(ReviewLease).where(ReviewLease.label_id == label_id,
                                                  ReviewLease.user_name == actor.name))
        session.commit()


def holder(workspace: Workspace, label_id: int) -> tuple[str, datetime] | None:
    """Who holds a live lease on the label, if anyone."""
    with workspace.session() as session:
        lease = session.get(ReviewLease, label_id)
        if lease is None or _aware(lease.expires_at) < utcnow():
            return None
        return lease.user_name, _aware(lease.expires_at)
