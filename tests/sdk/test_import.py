import subprocess
import sys

HEAVY = (
    "fastapi",
    "sqlmodel",
    "uvicorn",
    "registry",
    "sqlalchemy",
    "alembic",
    "httpx",
    "fastavro",
    "jsonschema_rs",
    "orjson",
    "google",
    "grpc_tools",
)


def test_import_sdk_loads_nothing_heavy() -> None:
    code = (
        "import sys, sdk\n"
        f"heavy = {HEAVY!r}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_surface_is_exported() -> None:
    import sdk

    for name in (
        "Registry",
        "Serializer",
        "Deserializer",
        "Event",
        "SdkError",
        "ValidationError",
        "WireFormatError",
        "SchemaNotFoundError",
        "RegistryError",
    ):
        assert name in sdk.__all__
        assert hasattr(sdk, name)
