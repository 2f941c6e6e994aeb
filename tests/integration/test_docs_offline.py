"""The API docs work on an intranet: every asset /docs and /redoc load is served by the service."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from services.filing.config import FilingSettings
from services.filing.main import create_app
from tests.support import TRUST

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_load_nothing_from_outside_the_service(new_database: Callable[[str], str], page: str) -> None:
    app = create_app(FilingSettings(database_dsn=new_database("filing"), departments="fgw", token_keys=TRUST))
    with TestClient(app) as client:
        html = client.get(page)
        assert html.status_code == 200
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ?['"]([^'"]+)['"]""", html.text)
        urls = [a or b for a, b in assets]
        assert urls, html.text
        assert not [u for u in urls if re.match(r"(https?:)?//", u)], urls  # no CDN, no fonts from outside
        for url in urls:
            assert client.get(url).status_code == 200, url
