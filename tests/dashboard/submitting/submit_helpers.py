"""Constants and helpers of the submitting tests (a module of its own: a second conftest
module name would clash with tests/dashboard/access/conftest.py)."""

from __future__ import annotations

import re

SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "a long enough passphrase"
MINISTRY, BCIT, UBC = "ana@gov.bc.ca", "lee@bcit.ca", "uma@ubc.ca"
HEADER = (
    "institution_code,reporting_period,offering_id,title,mc_type,delivery_mode,credit_status,credits,"
    "partner_categories,continuing_education,duration_hours,assessment,ladders_to_credential,field_of_study,"
    "ministry_funded,enrolments,completions"
)


def bcit_file(period: str = "2025/26", *, bad: bool = False, offerings: int = 3) -> bytes:
    """BCIT's file for ``period``: offering 3 runs 300 h without assessment or partner (three
    framework warnings); ``bad`` makes row 2's delivery mode 'onlin' (an error)."""
    lines = [HEADER]
    for n in range(1, offerings + 1):
        mode = "onlin" if bad and n == 1 else "online"
        if n == 3:
            lines.append(
                f"BCIT,{period},B{n},BCIT offering B{n},technical_skill,onsite,non_credit,,none,no,300,no,no,,no,10,5"
            )
        else:
            lines.append(
                f"BCIT,{period},B{n},BCIT offering B{n},technical_skill,{mode},non_credit,,employer_industry,yes,40,yes,"
                f"no,math_computer_science,no,{20 + n},{10 + n}"
            )
    return ("\n".join(lines) + "\n").encode()


def sign_in(client, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert response.status_code == 302, response.text
