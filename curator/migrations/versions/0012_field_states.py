"""field states: every label field says value, absent or unknown; gaps hold the unknown ones

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 10:25:00

Before this release an empty ERP cell was stored as an ERP fact (``value: null``) and
exported as "not on the document". Now it is *unknown*: no mapping of an earlier release
declared its ERP authoritative for a field (``empty = "absent"`` is new), so every stored ERP,
rule or teacher null becomes unknown; a person's null stays a decision (absent). Each label's
gaps are recomputed from its undecided fields so the teacher is asked about them.
"""

import json

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_LABELS = sa.table('label', sa.column('id', sa.Integer), sa.column('fields', sa.Text), sa.column('gaps', sa.Text),
                   sa.column('schema_name', sa.String))


def _state(entry: dict) -> str:
    if entry.get('state') in ('value', 'absent', 'unknown'):
        return entry['state']
    if entry.get('value') is not None:
        return 'value'
    return 'absent' if entry.get('source') == 'human' else 'unknown'


def upgrade() -> None:
    from curator.labels.paths import gaps
    from curator.schemas import builtin_schema

    bind = op.get_bind()
    rows = bind.execute(sa.select(_LABELS.c.id, _LABELS.c.fields, _LABELS.c.schema_name)).all()
    schemas: dict = {}
    for label_id, text, schema_name in rows:
        fields = json.loads(text)
        for entry in fields.values():
            entry['state'] = _state(entry)
        decided = [path for path, entry in fields.items() if entry['state'] != 'unknown']
        values = {'fields': json.dumps(fields, sort_keys=True, ensure_ascii=False)}
        try:
            schema = schemas.setdefault(schema_name, builtin_schema(schema_name))
            values['gaps'] = json.dumps(gaps(schema, decided))
        except KeyError:  # a schema this release does not ship: gaps are recomputed on the next write
            pass
        bind.execute(_LABELS.update().where(_LABELS.c.id == label_id).values(**values))


def downgrade() -> None:
    # The earlier release reads entries without "state" by the same rule, so the data stays usable.
    pass
