"""Persistence: the sqlmodel tables, the database engine and the migrations that evolve it."""
