"""The migration tests' fixtures: a MariaDB server per pytest process (tests/support/mariadb.py)."""

from tests.support.mariadb import mariadb  # noqa: F401  (the session fixture)
