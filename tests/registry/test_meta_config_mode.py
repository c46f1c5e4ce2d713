"""`/`, metadata, health, /config and /mode, on both databases."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.registry.helpers import MEDIA_TYPE, USER_V1, assert_error, body


def test_root_metadata_and_health(client: TestClient) -> None:
    root = client.get("/")
    assert root.status_code == 200
    assert root.json() == {}
    assert root.headers["content-type"] == MEDIA_TYPE
    meta = client.get("/v1/metadata/id").json()
    assert meta["scope"]["path"] == []
    assert meta["scope"]["clusters"]["kafka-cluster"]
    health = client.get("/health")
    assert health.status_code == 200
    assert client.get("/contexts").json() == ["."]
    assert client.get("/v1/metadata/version").json()["version"]


def test_unknown_route_and_method_have_error_bodies(client: TestClient) -> None:
    assert_error(client.get("/no/such/route"), 404, 404)
    assert_error(client.post("/config", json={}), 405, 405)
    assert_error(client.get("/subjects?deleted=maybe"), 422, 422)


def test_global_config_defaults_to_backward(client: TestClient) -> None:
    assert client.get("/config").json() == {"compatibilityLevel": "BACKWARD"}


def test_put_and_delete_global_config(client: TestClient) -> None:
    put = client.put("/config", json={"compatibility": "full_transitive"})
    assert put.status_code == 200
    assert put.json() == {"compatibility": "FULL_TRANSITIVE"}
    assert client.get("/config").json() == {"compatibilityLevel": "FULL_TRANSITIVE"}
    deleted = client.delete("/config")
    assert deleted.json() == {"compatibilityLevel": "FULL_TRANSITIVE"}
    assert client.get("/config").json() == {"compatibilityLevel": "BACKWARD"}


def test_policy_and_normalize_are_kept(client: TestClient) -> None:
    put = client.put("/config", json={"compatibilityPolicy": "lenient", "normalize": True})
    assert put.json() == {"compatibilityPolicy": "LENIENT", "normalize": True}
    assert client.get("/config").json() == {
        "compatibilityLevel": "BACKWARD",
        "compatibilityPolicy": "LENIENT",
        "normalize": True,
    }


def test_invalid_level_and_policy(client: TestClient, backend) -> None:
    before = backend.snapshot()
    assert_error(client.put("/config", json={"compatibility": "SIDEWAYS"}), 422, 42203)
    assert_error(client.put("/config/s", json={"compatibilityPolicy": "LOOSE"}), 422, 42203)
    assert_error(client.put("/config", json={}), 422, 42203)
    assert_error(client.put("/config", content=b"{not json"), 400, 400)
    assert_error(client.put("/config", json={"compatibility": 7}), 422, 422)
    assert_error(client.put("/config", json=["FULL"]), 422, 422)
    assert backend.snapshot() == before


def test_subject_config(client: TestClient) -> None:
    assert_error(client.get("/config/orders"), 404, 40408)
    fallback = client.get("/config/orders", params={"defaultToGlobal": "true"})
    assert fallback.json() == {"compatibilityLevel": "BACKWARD"}
    put = client.put("/config/orders", json={"compatibility": "NONE"})
    assert put.json() == {"compatibility": "NONE"}
    assert client.get("/config/orders").json() == {"compatibilityLevel": "NONE"}
    assert client.get("/config").json() == {"compatibilityLevel": "BACKWARD"}
    assert client.delete("/config/orders").json() == {"compatibilityLevel": "NONE"}
    assert_error(client.get("/config/orders"), 404, 40408)
    assert_error(client.delete("/config/orders"), 404, 40401)


def test_subject_config_accepts_confluent_client_shape(client: TestClient) -> None:
    # confluent-kafka's ServerConfig.to_dict sends nulls for what it does not set.
    put = client.put(
        "/config/orders",
        json={"compatibility": "FORWARD", "compatibilityGroup": None, "normalize": None},
        headers={"content-type": MEDIA_TYPE},
    )
    assert put.status_code == 200, put.text
    assert client.get("/config/orders").json()["compatibilityLevel"] == "FORWARD"


def test_global_mode(client: TestClient) -> None:
    assert client.get("/mode").json() == {"mode": "READWRITE"}
    assert client.put("/mode", json={"mode": "READONLY"}).json() == {"mode": "READONLY"}
    assert client.get("/mode").json() == {"mode": "READONLY"}
    assert client.delete("/mode").json() == {"mode": "READONLY"}
    assert client.get("/mode").json() == {"mode": "READWRITE"}
    assert_error(client.put("/mode", json={"mode": "WRITEONLY"}), 422, 42204)
    assert_error(client.put("/mode", json={}), 422, 42204)


def test_subject_mode(client: TestClient) -> None:
    assert_error(client.get("/mode/orders"), 404, 40409)
    assert client.get("/mode/orders?defaultToGlobal=true").json() == {"mode": "READWRITE"}
    assert client.put("/mode/orders", json={"mode": "readonly"}).json() == {"mode": "READONLY"}
    assert client.get("/mode/orders").json() == {"mode": "READONLY"}
    assert client.delete("/mode/orders").json() == {"mode": "READONLY"}
    assert_error(client.delete("/mode/orders"), 404, 40401)


def test_readonly_refuses_writes(client: TestClient) -> None:
    assert client.post("/subjects/orders/versions", json=body(USER_V1)).status_code == 200
    client.put("/mode/orders", json={"mode": "READONLY"})
    assert_error(client.post("/subjects/orders/versions", json=body(USER_V1)), 422, 42205)
    assert_error(client.delete("/subjects/orders/versions/1"), 422, 42205)
    assert_error(client.delete("/subjects/orders"), 422, 42205)
    # Reads and lookups still work.
    assert client.get("/subjects/orders/versions/1").status_code == 200
    assert client.post("/subjects/orders", json=body(USER_V1)).status_code == 200
    client.put("/mode", json={"mode": "READONLY"})
    client.delete("/mode/orders")
    assert_error(client.post("/subjects/other/versions", json=body(USER_V1)), 422, 42205)


def test_import_mode_needs_force_when_subjects_exist(client: TestClient) -> None:
    client.post("/subjects/orders/versions", json=body(USER_V1))
    assert_error(client.put("/mode", json={"mode": "IMPORT"}), 422, 42205)
    assert_error(client.put("/mode/orders", json={"mode": "IMPORT"}), 422, 42205)
    assert client.put("/mode/fresh", json={"mode": "IMPORT"}).json() == {"mode": "IMPORT"}
    forced = client.put("/mode", params={"force": "true"}, json={"mode": "IMPORT"})
    assert forced.json() == {"mode": "IMPORT"}


def test_confluent_style_boolean_query_values(client: TestClient) -> None:
    # confluent-kafka formats Python booleans into the query string: True / False.
    assert client.get("/config/x?defaultToGlobal=True").status_code == 200
    assert client.get("/subjects?deleted=False").status_code == 200
