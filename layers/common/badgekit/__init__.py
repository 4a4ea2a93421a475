"""Shared BadgeKit package: auth, errors, data access, validation, serialisation, signing."""

VERSION = "0.3.0"
