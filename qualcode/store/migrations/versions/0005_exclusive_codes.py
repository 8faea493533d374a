"""mutually exclusive codes: codes.exclusive

True says at most one of a code's children applies to a segment, False says they may
combine; NULL (every existing code) means nobody said, so the auto-coder may infer it.
The codebook-level flag lives in projects.settings and needs no column.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('codes', sa.Column('exclusive', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('codes', schema=None) as batch_op:
        batch_op.drop_column('exclusive')
