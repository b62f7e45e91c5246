"""Email notices against a real SMTP server (aiosmtpd) started on loopback by the test."""

from __future__ import annotations

import email
import logging
import socket
import time
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from dashboard.access.settings import AccessConfigError
from dashboard.notices import About, one_line, returned_notice, send_notice, submitted_notice, valid_address
from dashboard.settings import NoticeSettings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """The aiosmtpd handler: keeps every message received; refuses recipients at refused.example."""

    def __init__(self):
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example"):
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [email.message_from_bytes(e.content, policy=default_policy) for e in self.envelopes]


def text(message) -> str:
    return message.get_content().replace("\r\n", "\n")  # lines end in CRLF on the wire


def ours(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "mcred.notices"]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def auth_server():
    inbox = Inbox()
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"mcred" and auth_data.password == b"s3cret", handled=False)

    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield inbox, controller.port, seen
    finally:
        controller.stop()


def settings_for(port: int, **over) -> NoticeSettings:
    return NoticeSettings(**{"host": "127.0.0.1", "port": port, "sender": "mcred@gov.example", "timeout": 5.0, **over})


def test_a_submitted_notice_reaches_the_ministry(smtp_server):
    inbox, port = smtp_server
    settings = settings_for(port, base_url="https://mcred.gov.example")
    notice = submitted_notice(
        settings,
        About("BCIT", "British Columbia Institute of Technology", "2024/25", "bcit-2024.xlsx"),
        who="pat@bcit.example",
        comment="Two programs moved to 2025/26.\nSee the explanations.",
    )
    assert send_notice(settings, to=["ministry@gov.example", "analyst@gov.example"], **notice.__dict__) is True
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "mcred@gov.example"
    assert envelope.rcpt_tos == ["ministry@gov.example", "analyst@gov.example"]
    [message] = inbox.messages()
    assert message["From"] == "mcred@gov.example"
    assert message["To"] == "ministry@gov.example, analyst@gov.example"
    assert message["Subject"] == "Submission to review: BCIT 2024/25 (bcit-2024.xlsx)"
    assert message.get_content_type() == "text/plain"
    assert text(message) == (
        "British Columbia Institute of Technology (BCIT) sent its micro-credential submission for 2024/25 for "
        "review.\n\nFile: bcit-2024.xlsx\nSent by: pat@bcit.example\n\nTheir note:\nTwo programs moved to "
        "2025/26.\nSee the explanations.\n\nReview it (accept or return): "
        "https://mcred.gov.example/submissions?institution=BCIT&period=2024%2F25\n"
    )
    assert message["Date"] and message["Message-ID"].endswith("@gov.example>")


def test_a_returned_notice_reaches_the_institution_after_logging_in(auth_server):
    inbox, port, seen = auth_server
    settings = settings_for(port, user="mcred", password="s3cret")
    notice = returned_notice(
        settings,
        About("UBC", "The University of British Columbia", "2024/25", "ubc.csv"),
        who="lee@gov.example",
        comment="Row 12: the enrolments look like 2023/24's.",
    )
    assert send_notice(settings, to=["data@ubc.example"], subject=notice.subject, body=notice.body) is True
    assert seen == [(b"mcred", b"s3cret")]
    [message] = inbox.messages()
    assert (message["To"], message["Subject"]) == ("data@ubc.example", "Submission returned: UBC 2024/25 (ubc.csv)")
    body = text(message)
    assert "Returned by: lee@gov.example\n\nComment:\nRow 12: the enrolments look like 2023/24's.\n" in body
    assert body.endswith(
        "Upload a corrected file: /submit?institution=UBC&period=2024%2F25 on the dashboard "
        "(MCRED_BASE_URL is not set)\n"
    )


def test_a_wrong_password_is_false_and_one_log_line(auth_server, caplog):
    inbox, port, _ = auth_server
    with caplog.at_level(logging.INFO, logger="mcred.notices"):
        assert (
            send_notice(settings_for(port, user="mcred", password="wrong"), to=["a@b.example"], subject="S", body="B")
            is False
        )
    assert inbox.envelopes == []
    [line] = ours(caplog)
    assert "SMTPAuthenticationError" in line and "\n" not in line


def test_no_header_or_recipient_can_be_injected(smtp_server):
    inbox, port = smtp_server
    settings = settings_for(port)
    notice = submitted_notice(
        settings,
        About(
            "BCIT\r\nBcc: evil@attacker.example",
            "Name\nX-Injected: 1",
            "2024/25",
            "a.csv\r\nBcc: evil@attacker.example\r\n\r\nfake body",
        ),
        who="pat\u2028Bcc: evil@attacker.example",
    )
    to = [
        "ministry@gov.example",
        "x@gov.example, evil@attacker.example",
        "y@gov.example\r\nBcc: evil@attacker.example",
        "Someone <z@gov.example>",
        "not an address",
    ]
    assert send_notice(settings, to=to, subject=notice.subject + "\nBcc: evil@attacker.example", body=notice.body)
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["ministry@gov.example"]
    [message] = inbox.messages()
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert message["To"] == "ministry@gov.example"
    assert "\n" not in message["Subject"] and message["Subject"].startswith("Submission to review: BCIT Bcc: evil@")
    # The body names the values, each on its own line.
    assert "File: a.csv Bcc: evil@attacker.example fake body\n" in text(message)


def test_nobody_valid_to_send_to_is_false(smtp_server):
    inbox, port = smtp_server
    assert send_notice(settings_for(port), to=["a@b.example, c@d.example", ""], subject="S", body="B") is False
    assert inbox.envelopes == []


def test_a_refused_recipient_is_false(smtp_server, caplog):
    inbox, port = smtp_server
    with caplog.at_level(logging.WARNING, logger="mcred.notices"):
        ok = send_notice(settings_for(port), to=["ok@gov.example", "nobody@refused.example"], subject="S", body="B")
    assert ok is False
    assert [e.rcpt_tos for e in inbox.envelopes] == [["ok@gov.example"]]  # delivered to the one it took
    [line] = ours(caplog)
    assert "SMTPRecipientsRefused" in line


def test_a_server_that_is_down_is_false_at_once(caplog):
    start = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="mcred.notices"):
        assert send_notice(settings_for(free_port()), to=["a@b.example"], subject="Hello", body="B") is False
    assert time.monotonic() - start < 2
    [line] = ours(caplog)
    assert "ConnectionRefusedError" in line and line.endswith(": Hello")


def test_a_server_that_never_answers_is_false_after_the_timeout():
    with socket.socket() as silent:  # accepts connections (the backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        settings = settings_for(silent.getsockname()[1], timeout=0.5)
        start = time.monotonic()
        assert send_notice(settings, to=["a@b.example"], subject="S", body="B") is False
        assert 0.4 < time.monotonic() - start < 3


def test_without_a_host_nothing_is_sent_and_one_line_is_logged(caplog):
    with caplog.at_level(logging.INFO, logger="mcred.notices"):
        assert send_notice(NoticeSettings(), to=["a@b.example"], subject="Sub\nject", body="B") is False
    assert ours(caplog) == ["notice not sent (MCRED_SMTP_HOST is not set): Sub ject"]


def test_settings_carrying_notices_are_accepted(caplog):
    class Dashboard:
        notices = NoticeSettings()

    assert send_notice(Dashboard(), to=["a@b.example"], subject="S", body="B") is False


SMTP_ENV = (
    "MCRED_SMTP_HOST",
    "MCRED_SMTP_PORT",
    "MCRED_SMTP_FROM",
    "MCRED_SMTP_USER",
    "MCRED_SMTP_PASSWORD",
    "MCRED_SMTP_STARTTLS",
    "MCRED_BASE_URL",
)


@pytest.fixture
def env(monkeypatch):
    for name in SMTP_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_settings_from_the_environment(env):
    assert NoticeSettings.from_env() == NoticeSettings()
    env.setenv("MCRED_SMTP_HOST", "smtp.gov.example")
    env.setenv("MCRED_SMTP_FROM", "mcred@gov.example")
    env.setenv("MCRED_SMTP_PORT", "587")
    env.setenv("MCRED_SMTP_USER", "mcred")
    env.setenv("MCRED_SMTP_PASSWORD", "s3cret")
    env.setenv("MCRED_SMTP_STARTTLS", "1")
    env.setenv("MCRED_BASE_URL", "https://mcred.gov.example/")
    got = NoticeSettings.from_env()
    assert got == NoticeSettings(
        "smtp.gov.example", 587, "mcred@gov.example", "mcred", "s3cret", True, "https://mcred.gov.example"
    )
    assert "s3cret" not in repr(got)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"MCRED_SMTP_HOST": "h"}, "MCRED_SMTP_FROM is not"),
        ({"MCRED_SMTP_USER": "u"}, "go together"),
        ({"MCRED_SMTP_PORT": "smtp"}, "MCRED_SMTP_PORT='smtp'"),
        ({"MCRED_SMTP_PORT": "70000"}, "from 1 to 65535"),
        ({"MCRED_SMTP_STARTTLS": "maybe"}, "use 1 or 0"),
        ({"MCRED_BASE_URL": "mcred.gov.example"}, "https://"),
    ],
)
def test_wrong_settings_say_what_to_do(env, values, message):
    for name, value in values.items():
        env.setenv(name, value)
    with pytest.raises(AccessConfigError, match=message):
        NoticeSettings.from_env()


def test_one_line_and_addresses():
    assert one_line("a\r\nb\tc\x00d\u2028e") == "a b c d e"
    assert one_line("x" * 300, 10) == "xxxxxxx..."
    assert valid_address("pat@bcit.example") == "pat@bcit.example"
    for bad in ("pat", "a@b", "a@b.example, c@d.example", "Pat <pat@bcit.example>", "a@b.example\nBcc: c@d.e"):
        assert valid_address(bad) is None, bad


@pytest.fixture
def tls_server(tmp_path):
    """An SMTP server that requires STARTTLS, with a self-signed certificate for 127.0.0.1."""
    import datetime as dt
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True)
    controller.start()
    try:
        yield inbox, controller.port, cert_file
    finally:
        controller.stop()


def test_starttls_checks_the_servers_certificate(tls_server, monkeypatch, caplog):
    inbox, port, cert_file = tls_server
    settings = settings_for(port, starttls=True)
    # Not trusted: refused, nothing sent in the clear.
    with caplog.at_level(logging.WARNING, logger="mcred.notices"):
        assert send_notice(settings, to=["a@gov.example"], subject="S", body="B") is False
    [line] = ours(caplog)
    assert "SSLCertVerificationError" in line
    # Trusted (the system's certificate file names it): sent over TLS.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    assert send_notice(settings, to=["a@gov.example"], subject="Over TLS", body="B") is True
    [message] = inbox.messages()
    assert message["Subject"] == "Over TLS"
    # Without STARTTLS this server takes nothing.
    assert send_notice(settings_for(port), to=["a@gov.example"], subject="S", body="B") is False
    assert len(inbox.envelopes) == 1
