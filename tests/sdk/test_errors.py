import sdk
from sdk import errors


def test_every_error_is_an_sdk_error() -> None:
    for name in errors.__all__:
        cls = getattr(errors, name)
        if isinstance(cls, type) and issubclass(cls, Exception):
            assert issubclass(cls, sdk.SdkError), name


def test_registry_errors_share_a_base_and_carry_the_code() -> None:
    for cls in (sdk.SchemaNotFoundError, sdk.IncompatibleSchemaError, sdk.RegistryUnavailableError):
        assert issubclass(cls, sdk.RegistryError)
    error = sdk.SchemaNotFoundError("gone", status=404, error_code=40403)
    assert (error.status, error.error_code) == (404, 40403)


def test_errors_compare_by_value() -> None:
    a = sdk.ValidationError([sdk.Violation("/a", "bad")], subject="s")
    b = sdk.ValidationError([sdk.Violation("/a", "bad")], subject="s")
    c = sdk.ValidationError([sdk.Violation("/b", "bad")], subject="s")
    assert a == b
    assert a != c


def test_validation_error_message_lists_every_violation() -> None:
    error = sdk.ValidationError(
        [sdk.Violation("/a", "expected int"), sdk.Violation("", "unknown field")], subject="t-value"
    )
    text = str(error)
    assert "2 schema violation(s)" in text
    assert "/a: expected int" in text
    assert "/: unknown field" in text
    assert "t-value" in text


def test_tree_in_docstring_names_every_error() -> None:
    assert errors.__doc__ is not None
    for name in errors.__all__:
        if name != "Violation":
            assert name in errors.__doc__, name
