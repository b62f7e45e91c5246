"""Email notices: the ministry hears of a submitted file, the institution of a returned one.

Optional: nothing is sent unless MCRED_SMTP_HOST is set (dashboard.settings.NoticeSettings).
A notice is a courtesy, never a step of the workflow: :func:`send_notice` never raises into
the request that triggers it; it returns False and logs one line when notices are off or the
server fails, within the settings' timeout.

Bodies are plain text. Everything a user typed or named (institution, file name, who, the
comment) reaches a header only through :func:`one_line`, and recipients only as single
addresses, so no value can add a header or a recipient.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any
from urllib.parse import urlencode

from dashboard.settings import NoticeSettings

log = logging.getLogger("mcred.notices")

MAX_SUBJECT = 200  # characters; a longer subject is cut
# Control characters (line breaks included) and Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_ADDRESS = re.compile(r"[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\]+\.[^@\s<>(),;:\"\[\]\\]+")


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str


def one_line(text: object, limit: int | None = None) -> str:
    """``text`` as one line: control characters and line breaks become one space."""
    line = _CONTROL.sub(" ", str(text)).strip()
    if limit is not None and len(line) > limit:
        line = line[: limit - 3].rstrip() + "..."
    return line


def _paragraph(text: str) -> str:
    # A comment keeps its line breaks; other control characters go.
    lines = (one_line(part) for part in re.split(r"\r\n|\r|\n|\u2028|\u2029", text))
    return "\n".join(lines).strip()


def valid_address(text: str) -> str | None:
    """The one plain address ``text`` is (``name@example.org``), or None."""
    if _CONTROL.search(text):
        return None
    name, address = parseaddr(text.strip())
    return address if not name and address == text.strip() and _ADDRESS.fullmatch(address) else None


def _notice_settings(settings: Any) -> NoticeSettings:
    # NoticeSettings, or any settings object that carries one as ``notices``.
    return settings if isinstance(settings, NoticeSettings) else settings.notices


def send_notice(settings: Any, *, to: list[str], subject: str, body: str) -> bool:
    """Send one plain-text message to ``to``; True when the server took it for every recipient.

    Never raises: returns False, with one line in the log, when notices are off, no recipient is
    a valid address, or the server refuses, fails or does not answer within the timeout."""
    try:
        config = _notice_settings(settings)
        if not config.host or not config.sender:
            log.info("notice not sent (MCRED_SMTP_HOST is not set): %s", one_line(subject, MAX_SUBJECT))
            return False
        recipients = [a for a in (valid_address(t) for t in to) if a]
        if not recipients:
            log.warning("notice not sent (no valid recipient address): %s", one_line(subject, MAX_SUBJECT))
            return False
        message = EmailMessage(policy=SMTP_POLICY)
        message["From"] = config.sender
        message["To"] = ", ".join(recipients)
        message["Subject"] = one_line(subject, MAX_SUBJECT)
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=config.sender.rpartition("@")[2] or None)
        message.set_content(body.replace("\r\n", "\n").replace("\r", "\n"))
        _deliver(config, message, recipients)
    except Exception as exc:  # noqa: BLE001 - a notice never breaks the request that sends it
        log.warning(
            "notice not sent (%s: %s): %s", type(exc).__name__, one_line(exc, 300), one_line(subject, MAX_SUBJECT)
        )
        return False
    return True


def _deliver(config: NoticeSettings, message: EmailMessage, recipients: list[str]) -> None:
    assert config.host is not None and config.sender is not None
    smtp: smtplib.SMTP
    if config.port == 465:  # TLS from the first byte (SMTPS)
        smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    with smtp:
        if config.starttls and config.port != 465:
            smtp.starttls(context=ssl.create_default_context())
        if config.user and config.password:
            smtp.login(config.user, config.password)
        refused = smtp.send_message(message, from_addr=config.sender, to_addrs=recipients)
    if refused:
        raise smtplib.SMTPRecipientsRefused(refused)


# --- the two notices ----------------------------------------------------------------------


def _link(settings: Any, path: str, about: About) -> str:
    query = urlencode({"institution": about.institution, "period": about.period})
    base = _notice_settings(settings).base_url
    return f"{base}{path}?{query}" if base else f"{path}?{query} on the dashboard (MCRED_BASE_URL is not set)"


@dataclass(frozen=True)
class About:
    """The submission a notice is about."""

    institution: str  # its code, e.g. BCIT
    institution_name: str
    period: str  # 2024/25
    file_name: str

    def shown(self) -> About:
        """Each value as one line of readable length (they reach the subject)."""
        return About(
            *(one_line(v, 120) for v in (self.institution, self.institution_name, self.period, self.file_name))
        )


def submitted_notice(settings: Any, about: About, *, who: str, comment: str = "") -> Notice:
    """To the ministry: an institution sent a submission for review."""
    a = about.shown()
    lines = [
        f"{a.institution_name} ({a.institution}) sent its micro-credential submission for {a.period} for review.",
        "",
        f"File: {a.file_name}",
        f"Sent by: {one_line(who, 120)}",
    ]
    if comment.strip():
        lines += ["", "Their note:", _paragraph(comment)]
    lines += ["", f"Review it (accept or return): {_link(settings, '/submissions', a)}"]
    return Notice(f"Submission to review: {a.institution} {a.period} ({a.file_name})", "\n".join(lines) + "\n")


def returned_notice(settings: Any, about: About, *, who: str, comment: str) -> Notice:
    """To the institution: the ministry returned its submission, with a comment."""
    a = about.shown()
    lines = [
        f"The ministry returned the micro-credential submission of {a.institution_name} ({a.institution}) "
        f"for {a.period}.",
        "",
        f"File: {a.file_name}",
        f"Returned by: {one_line(who, 120)}",
        "",
        "Comment:",
        _paragraph(comment) or "(none)",
        "",
        f"Upload a corrected file: {_link(settings, '/submit', a)}",
    ]
    return Notice(f"Submission returned: {a.institution} {a.period} ({a.file_name})", "\n".join(lines) + "\n")
