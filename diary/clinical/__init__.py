"""The clinical core, plain Python: no Flask, no database. Rules: docs/clinical.md."""
