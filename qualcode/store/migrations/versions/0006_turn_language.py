"""language per turn: turns.language

Focus groups switch between Russian and Kazakh, so each turn carries its own
detected language (ru, kk, en, other) for sentence splitting, stop words, NER and
the model choice. NULL (every existing turn) means the document's language.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('turns', sa.Column('language', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('turns', schema=None) as batch_op:
        batch_op.drop_column('language')
