"""The one packaging rule pyproject.toml cannot state: which directories ship, and under what name.

Everything else (metadata, dependencies, package data) lives in pyproject.toml. Charter's own
packages are found by name; the top-level `alembic/` folder, where developers write migrations,
ships as the `charter_migrations` package so that an installed `charter serve` can bring its
database to the newest migration (`registry.db.alembic_dir` finds it). It cannot ship as
`alembic`: that name belongs to the Alembic library.
"""

from setuptools import find_namespace_packages, setup

MIGRATIONS = "charter_migrations"

setup(
    packages=[
        *find_namespace_packages(include=["compat*", "registry*", "sdk*", "broker*", "cli*"]),
        MIGRATIONS,
        f"{MIGRATIONS}.versions",
    ],
    package_dir={MIGRATIONS: "alembic"},
)
