"""The database handle and the models' base class (SQLite's connection settings: txn.py)."""

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints let Alembic's batch mode alter SQLite tables.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# Objects stay loaded after a commit. The session lives for one request (one app context), and
# a request that commits mid-way (an audited read, a sign-in's last-seen time) would otherwise
# reload, row by row, every object it had already read: 500 queries for one page of entries.
# What is kept is what this request read or wrote itself, so a page still shows one snapshot.
# A write that must see another request's change reads it afresh in its own transaction
# (populate_existing with FOR UPDATE, or a conditional UPDATE: services/mfa.py, accounts.py).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
