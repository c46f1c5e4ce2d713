"""Charter's schema registry: Confluent Schema Registry's REST API over SQLite or PostgreSQL."""

from registry.app import build_registry, create_app
from registry.errors import RegistryError
from registry.settings import Settings

__all__ = ["RegistryError", "Settings", "build_registry", "create_app"]
