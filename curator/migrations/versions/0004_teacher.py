"""teacher calls

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 19:30:28.811603
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('teacher_call',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cache_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('document_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('prompt_version', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('input_tokens', sa.Integer(), nullable=False),
    sa.Column('output_tokens', sa.Integer(), nullable=False),
    sa.Column('cost_usd', sa.Float(), nullable=False),
    sa.Column('latency_ms', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('raw', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_sha256'], ['document.sha256'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cache_key')
    )
    with op.batch_alter_table('teacher_call', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teacher_call_document_sha256'), ['document_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_teacher_call_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('teacher_call', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teacher_call_status'))
        batch_op.drop_index(batch_op.f('ix_teacher_call_document_sha256'))

    op.drop_table('teacher_call')
