"""Delivery end to end on loopback: a webhook receiver that checks the signature and fails on purpose
(500, a timeout) for retries, back-off and `dead`; Slack's format; a real SMTP conversation (aiosmtpd);
a restart in the middle of sending. SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import email
import email.policy
import hashlib
import hmac
import json
import logging
import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, text
from typer.testing import CliRunner

from pipeline.alerts import AlertQueue
from pipeline.alerts.config import parse_alerts
from pipeline.alerts.deliver import LEASE, Sender
from pipeline.cli import app
from pipeline.store.models import AlertAttempt
from pipeline.store.repo import NewArticle
from pipeline.store.types import utc_now
from tests.alerts.conftest import marker_analysis
from tests.support.receivers import HookReceiver, SmtpReceiver

EVIL = "Zoom halts sales\r\nBcc: victim@example.org <script>alert(1)</script> & more"


def configure(store, channels: str, rule_channels: str):
    alerts = parse_alerts(f"""channels:
{channels}
rules:
  - name: china-market-access
    match: {{jurisdictions: [CN], event_types: [sales_restriction]}}
    channels: [{rule_channels}]
""", Path("alerts.yaml"))
    store.alert_queue = AlertQueue(alerts)
    return alerts


def hook_channel(url: str) -> str:
    return f'  hook: {{type: webhook, url: "{url}", secret_env: REGWATCH_TEST_HOOK_SECRET}}'


def add_story(store, number: int, title: str = "Zoom halts direct sales in China") -> None:
    body = f"Story {number} about Zoom. EVENT sales_restriction CN 2021-08-23 announced. Unique words {number}."
    article = NewArticle(source_id="news", url=f"https://news.example/{number}",
                         canonical_url=f"https://news.example/{number}", title=title, text=body)
    assert store.store_article(article, marker_analysis(body, title)).created


def attempts(store) -> list[dict]:
    table = AlertAttempt.__table__
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table).order_by(table.c.id)).mappings()]


def verify(received, secret: str = "s3cret") -> dict:
    expected = "sha256=" + hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    assert received.headers["X-Regwatch-Signature"] == expected
    return json.loads(received.body)


def test_webhook_is_signed_retried_with_backoff_and_recorded(env):
    settings, _, store, _, _ = env
    with HookReceiver(plan=[500, "timeout", "ok"], hang=1.0) as hook:
        alerts = configure(store, hook_channel(hook.url), "hook")
        add_story(store, 1)
        report = Sender(store, alerts, settings).drain(timeout=10)
        assert (report.sent, report.failed, report.dead) == (1, 2, 0)
        (delivered,) = hook.delivered
        body = verify(delivered)
    assert len(hook.requests) == 3
    assert body["key"] == "new:china-market-access:1" and body["version"] == 1
    assert {k: body[k] for k in ("rule", "kind", "story_id", "title", "url", "sources")} == {
        "rule": "china-market-access", "kind": "new", "story_id": 1, "title": "Zoom halts direct sales in China",
        "url": "https://news.example/1", "sources": ["news"]}
    assert body["event"]["type"] == "sales_restriction" and body["event"]["jurisdictions"] == ["CN"]
    assert body["matched"] == {"event_types": ["sales_restriction"], "jurisdictions": ["CN"]}
    assert body["evidence"] and body["changes"] is None
    tries = attempts(store)
    assert [t["ok"] for t in tries] == [False, False, True]
    assert tries[0]["error"] == "webhook: HTTP 500 Internal Server Error"
    assert tries[1]["error"] == "webhook: timed out after 0.5s"
    gap1 = (tries[1]["at"] - tries[0]["at"]).total_seconds()
    gap2 = (tries[2]["at"] - tries[1]["at"]).total_seconds()
    # attempts are recorded when they end: the base delay, then the 0.5 s timeout; then twice the base
    assert gap1 >= 0.05 + 0.5 and gap2 >= 0.1


def test_gives_up_loudly_after_the_limit(env, caplog):
    settings, _, store, _, _ = env
    with HookReceiver(plan=[500] * 10) as hook:
        alerts = configure(store, hook_channel(hook.url), "hook")
        add_story(store, 1)
        with caplog.at_level(logging.ERROR, logger="pipeline.alerts.deliver"):
            report = Sender(store, alerts, settings).drain(timeout=10)
    assert (report.sent, report.dead, len(hook.requests)) == (0, 1, settings.alert_max_attempts)
    (line,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert line == ("alert new rule china-market-access story 1 -> hook: dead after 4 attempts; "
                    "last error: webhook: HTTP 500 Internal Server Error")
    result = CliRunner().invoke(app, ["--database-url", settings.resolved_database_url, "alerts", "status", "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["counts"] == {"dead": 1}
    assert status["deliveries"][0]["last_error"] == "webhook: HTTP 500 Internal Server Error"
    assert Sender(store, alerts, settings).send_due().sent == 0  # dead stays dead


def test_a_restart_in_the_middle_of_sending(env):
    """6 alerts: a sender stopped after 3, a second one killed between sending the 4th and recording it,
    a third one (after the lease) finishes. Delivered: every alert; duplicates: only the one in flight."""
    settings, _, store, _, _ = env
    with HookReceiver() as hook:
        alerts = configure(store, hook_channel(hook.url), "hook")
        for n in range(6):
            add_story(store, n, title=f"Story {n}")
        stop = threading.Event()
        hook.on_delivered = lambda _r: stop.set() if len(hook.delivered) >= 3 else None
        first = Sender(store, alerts, settings, stop=stop).send_due()
        assert first.sent == 3

        class Killed(BaseException):
            pass

        second = Sender(store, alerts, settings)

        def killed(*_args, **_kwargs):
            raise Killed

        second._record = killed
        with contextlib.suppress(Killed):
            second.send_due()
        assert len(hook.delivered) == 4
        assert Sender(store, alerts, settings).send_due().sent == 2  # the 4th is leased to the killed sender
        later = Sender(store, alerts, settings, clock=lambda: utc_now() + LEASE + timedelta(seconds=1))
        assert later.send_due().sent == 1
        keys = [verify(r)["key"] for r in hook.delivered]
    assert len(keys) == 7 and len(set(keys)) == 6
    duplicates = [k for k in set(keys) if keys.count(k) > 1]
    assert len(duplicates) == 1  # the one in flight when the sender was killed: at-least-once
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM alert_delivery WHERE state = 'sent'")).scalar() == 6


def test_slack_message(env, monkeypatch):
    settings, _, store, _, _ = env
    with HookReceiver() as hook:
        monkeypatch.setenv("REGWATCH_TEST_SLACK_URL", hook.url)
        alerts = configure(store, "  chat: {type: slack, url_env: REGWATCH_TEST_SLACK_URL}", "chat")
        add_story(store, 1, title=EVIL)
        assert Sender(store, alerts, settings).send_due().sent == 1
        (received,) = hook.delivered
    message = json.loads(received.body)
    assert "X-Regwatch-Signature" not in received.headers
    assert message["text"].startswith("New regwatch alert (china-market-access): Zoom halts sales Bcc:")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in message["text"]
    first, details = (block["text"]["text"] for block in message["blocks"])
    assert first.startswith("*New:* <https://news.example/1|Zoom halts sales Bcc: victim@example.org &lt;script&gt;")
    assert "<script>" not in received.body.decode()
    assert "*Matched:* event_types: sales_restriction; jurisdictions: CN" in details
    assert "*Evidence:* Zoom sales restriction in CN from 2021-08-23 &lt;b&gt;&amp;&lt;/b&gt;." in details
    assert "*Sources (1):* news" in details


def test_email_over_smtp_multipart_escaped_and_header_safe(env, monkeypatch, caplog):
    settings, _, store, _, _ = env
    with SmtpReceiver(password="hunter2-secret") as smtp:
        settings = settings.model_copy(update={
            "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_tls": "none", "smtp_from": "regwatch@example.org",
            "smtp_user": "regwatch"})
        alerts = configure(store, "  mail: {type: email, to: [policy-team@example.org, legal@example.org]}", "mail")
        add_story(store, 1, title=EVIL)

        # a wrong password first: refused, retried, and never written anywhere
        from pydantic import SecretStr

        wrong = settings.model_copy(update={"smtp_password": SecretStr("wrong-password-xyz")})
        with caplog.at_level(logging.DEBUG):
            report = Sender(store, alerts, wrong).send_due()
        assert report.failed == 1 and "login refused for 'regwatch' (535)" in report.errors[0]
        assert "wrong-password-xyz" not in caplog.text and "wrong-password-xyz" not in json.dumps(
            [str(a) for a in attempts(store)])

        right = settings.model_copy(update={"smtp_password": SecretStr("hunter2-secret")})
        assert Sender(store, alerts, right, clock=lambda: utc_now() + timedelta(seconds=5)).send_due().sent == 1
        (envelope, raw), = smtp.messages
    assert sorted(envelope.rcpt_tos) == ["legal@example.org", "policy-team@example.org"]  # no Bcc smuggled in
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Bcc"] is None and "victim" not in str(message["To"])
    assert message["Subject"] == ("[regwatch alert] china-market-access: Zoom halts sales Bcc: victim@example.org "
                                  "<script>alert(1)</script> & more")
    assert message["From"] == "regwatch@example.org"
    headers = raw.split(b"\r\n\r\n", 1)[0].decode()
    assert not any(line.lower().startswith("bcc:") for line in headers.splitlines())
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Rule: china-market-access" in plain and "Link: https://news.example/1" in plain
    assert "Evidence: Zoom sales restriction in CN from 2021-08-23 <b>&</b>." in plain
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in html and 'href="https://news.example/1"' in html
    assert "Sources (1)" in html
