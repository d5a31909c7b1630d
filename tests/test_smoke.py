import pytest

pytestmark = pytest.mark.anyio


async def test_healthz(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
