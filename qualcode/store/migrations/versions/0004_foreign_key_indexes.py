"""index every foreign key that rows are deleted through

Deleting a coding makes the database look for codings based on it
(`based_on_id … ON DELETE SET NULL`); without an index that is a scan of the
whole table per deleted row, which made re-running the auto-coder quadratic.
The same holds for participants referenced by turns and detections.

Revision ID: 0004
Revises: 0003
"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

INDEXES = [("ix_codings_based_on_id", "codings", "based_on_id"),
           ("ix_turns_participant_id", "turns", "participant_id"),
           ("ix_deid_detections_participant_id", "deid_detections", "participant_id")]


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column], unique=False)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
