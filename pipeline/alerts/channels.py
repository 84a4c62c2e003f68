"""Delivering one alert to one channel: e-mail (smtplib), webhook and Slack (httpx).

Each ``send_*`` returns normally on success and raises ``AlertError`` with a one-line reason otherwise.
Alert endpoints are the user's own configuration (loopback included), so they are reached with a plain
httpx client, not the crawler's Fetcher and its private-address guard. The SMTP password is never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import httpx

from pipeline import __version__
from pipeline.alerts.config import EmailChannel, SlackChannel, WebhookChannel
from pipeline.alerts.render import html_body, one_line, plain_text, slack_message, subject, webhook_body
from pipeline.errors import AlertError
from pipeline.settings import Settings

SIGNATURE_HEADER = "X-Regwatch-Signature"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def email_message(payload: dict[str, Any], sender: str, to: tuple[str, ...]) -> EmailMessage:
    """A multipart/alternative message: plain text and HTML (article text escaped), header-safe."""
    message = EmailMessage()
    message["Subject"] = subject(payload)  # one_line: no CR/LF can reach a header
    message["From"] = address(sender)
    message["To"] = [address(value) for value in to]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="regwatch.invalid")
    message["X-Regwatch-Rule"] = one_line(payload.get("rule"))
    message.set_content(plain_text(payload))
    message.add_alternative(html_body(payload), subtype="html")
    return message


def address(value: str) -> Address:
    try:
        return Address(addr_spec=one_line(value))
    except (ValueError, IndexError) as exc:
        raise AlertError(f"email: {value!r} is not an e-mail address") from exc


def email_sender(settings: Settings) -> str:
    """The From address: REGWATCH_SMTP_FROM, else an e-mail-like SMTP login."""
    if not settings.smtp_host:
        raise AlertError("email: REGWATCH_SMTP_HOST is not set")
    sender = settings.smtp_from or (settings.smtp_user if settings.smtp_user and "@" in settings.smtp_user else None)
    if not sender:
        raise AlertError("email: REGWATCH_SMTP_FROM is not set")
    return sender


def send_email(channel: EmailChannel, payload: dict[str, Any], settings: Settings) -> None:
    send_message(email_message(payload, email_sender(settings), channel.to), settings)


def send_message(message: EmailMessage, settings: Settings) -> None:
    """Send a ready e-mail message over the configured SMTP server (alerts and digests)."""
    if not settings.smtp_host:
        raise AlertError("email: REGWATCH_SMTP_HOST is not set")
    mode = settings.smtp_tls
    port = settings.smtp_port or {"ssl": 465, "starttls": 587, "none": 25}[mode]
    timeout = settings.alert_timeout
    try:
        if mode == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, port, timeout=timeout,
                                                    context=_tls_context(settings))
        else:
            client = smtplib.SMTP(settings.smtp_host, port, timeout=timeout)
        with client:
            if mode == "starttls":
                client.starttls(context=_tls_context(settings))
            if settings.smtp_user:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                client.login(settings.smtp_user, password)
            refused = client.send_message(message)
        if refused:
            raise AlertError(f"email: refused recipients: {', '.join(sorted(refused))}")
    except smtplib.SMTPAuthenticationError as exc:
        raise AlertError(f"email: login refused for {settings.smtp_user!r} ({exc.smtp_code})") from None
    except smtplib.SMTPResponseException as exc:
        raise AlertError(f"email: {settings.smtp_host}:{port}: {exc.smtp_code} {_text(exc.smtp_error)}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise AlertError(f"email: {settings.smtp_host}:{port}: {type(exc).__name__}: {one_line(exc)}") from None


def _tls_context(settings: Settings) -> ssl.SSLContext:
    """The system's trusted CAs (plus ``smtp_ca_file``), with host-name checks: never an unverified link."""
    context = ssl.create_default_context()
    if settings.smtp_ca_file:
        context.load_verify_locations(cafile=str(settings.smtp_ca_file))
    return context


def _text(value: Any) -> str:
    return one_line(value.decode("utf-8", "replace") if isinstance(value, bytes) else value)


def _post(url: str, body: bytes, headers: dict[str, str], settings: Settings, what: str,
          transport: httpx.BaseTransport | None) -> None:
    headers = {"Content-Type": "application/json", "User-Agent": f"regwatch/{__version__}", **headers}
    try:
        with httpx.Client(timeout=settings.alert_timeout, follow_redirects=False, transport=transport) as client:
            response = client.post(url, content=body, headers=headers)
    except httpx.TimeoutException:
        raise AlertError(f"{what}: timed out after {settings.alert_timeout:g}s") from None
    except httpx.HTTPError as exc:
        raise AlertError(f"{what}: {type(exc).__name__}: {one_line(exc)}") from None
    if not 200 <= response.status_code < 300:
        raise AlertError(f"{what}: HTTP {response.status_code} {response.reason_phrase}".rstrip())


def send_webhook(channel: WebhookChannel, payload: dict[str, Any], settings: Settings,
                 transport: httpx.BaseTransport | None = None) -> None:
    body = webhook_body(payload)
    headers = {}
    if channel.secret_env:
        secret = os.environ.get(channel.secret_env)
        if not secret:
            raise AlertError(f"webhook: {channel.secret_env} is not set (the signing secret)")
        headers[SIGNATURE_HEADER] = signature(secret, body)
    _post(channel.url, body, headers, settings, "webhook", transport)


def send_slack(channel: SlackChannel, payload: dict[str, Any], settings: Settings,
               transport: httpx.BaseTransport | None = None) -> None:
    url = channel.url or os.environ.get(channel.url_env or "")
    if not url:
        raise AlertError(f"slack: {channel.url_env} is not set (the incoming-webhook URL)")
    import json

    _post(url, json.dumps(slack_message(payload), ensure_ascii=False).encode("utf-8"), {}, settings, "slack",
          transport)


def send(channel: Any, payload: dict[str, Any], settings: Settings,
         transport: httpx.BaseTransport | None = None) -> None:
    if isinstance(channel, EmailChannel):
        send_email(channel, payload, settings)
    elif isinstance(channel, WebhookChannel):
        send_webhook(channel, payload, settings, transport)
    else:
        send_slack(channel, payload, settings, transport)
