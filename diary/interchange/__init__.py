"""File formats in and out (CSV rows), plain Python: no Flask, no database."""
