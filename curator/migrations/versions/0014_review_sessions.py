"""review sessions: a reload keeps the reviewer logged in

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 11:45:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('review_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_review_session_token_sha256'), 'review_session', ['token_sha256'], unique=True)
    op.create_index(op.f('ix_review_session_user_name'), 'review_session', ['user_name'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_review_session_user_name'), table_name='review_session')
    op.drop_index(op.f('ix_review_session_token_sha256'), table_name='review_session')
    op.drop_table('review_session')
