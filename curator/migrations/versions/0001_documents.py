"""documents, pages, source files and quarantine

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 17:35:43.648041
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('document',
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('source_uri', sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
    sa.Column('mime', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('page_count', sa.Integer(), nullable=False),
    sa.Column('document_class', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('text_chars', sa.Integer(), nullable=False),
    sa.Column('original_blob', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('renderer', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('dpi', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_document_class'), ['document_class'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_status'), ['status'], unique=False)

    op.create_table('quarantine_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('source_uri', sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('blob_key', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
    sa.Column('occurrences', sa.Integer(), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('stage', 'source_uri', name='uq_quarantine_stage_source')
    )
    with op.batch_alter_table('quarantine_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarantine_entry_reason'), ['reason'], unique=False)
        batch_op.create_index(batch_op.f('ix_quarantine_entry_stage'), ['stage'], unique=False)

    op.create_table('source_file',
    sa.Column('uri', sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('modified', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('uri')
    )
    with op.batch_alter_table('source_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_file_sha256'), ['sha256'], unique=False)

    op.create_table('page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('blob_key', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('dpi', sa.Integer(), nullable=True),
    sa.Column('phash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('needs_ocr', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['document_sha256'], ['document.sha256'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('document_sha256', 'index', name='uq_page_document_index')
    )
    with op.batch_alter_table('page', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_page_document_sha256'), ['document_sha256'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('page', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_page_document_sha256'))

    op.drop_table('page')
    with op.batch_alter_table('source_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_file_sha256'))

    op.drop_table('source_file')
    with op.batch_alter_table('quarantine_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarantine_entry_stage'))
        batch_op.drop_index(batch_op.f('ix_quarantine_entry_reason'))

    op.drop_table('quarantine_entry')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_status'))
        batch_op.drop_index(batch_op.f('ix_document_document_class'))

    op.drop_table('document')
