"""Persistence. Storage is the only package that speaks SQL or Redis: everything else works with
typed records, so the embedded default (SQLite) can be swapped without touching policy code."""
