"""Helpers of the access tests: the accounts' password and signing in with a test client."""

from __future__ import annotations

import re

SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "a long enough passphrase"


def csrf(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD, next_path: str = "/"):
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf(client), "next": next_path}
    )
