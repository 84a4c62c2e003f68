"""E-mail over STARTTLS and implicit TLS with a real aiosmtpd server: the certificate is verified
(trusted only through `smtp_ca_file`), and the login happens inside the encrypted session."""

from __future__ import annotations

import shutil
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest

from pipeline.alerts.channels import send_message
from pipeline.errors import AlertError
from pipeline.settings import Settings
from tests.support.receivers import SmtpReceiver


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A throw-away self-signed certificate for 127.0.0.1, made with the openssl command."""
    assert shutil.which("openssl"), "the openssl command is needed to make a test certificate"
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "regwatch@example.org"
    mail["To"] = "policy-team@example.org"
    mail["Subject"] = "[regwatch alert] tls check"
    mail.set_content("Sent over an encrypted connection.")
    return mail


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_tls_modes_deliver_with_a_verified_certificate_and_login(certificate, mode, tmp_path):
    cert, key = certificate
    with SmtpReceiver(password="s3cret", tls=mode, cert=cert, key=key) as smtp:
        settings = Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls=mode,
                            smtp_user="regwatch", smtp_password="s3cret", smtp_ca_file=cert)
        send_message(message(), settings)
        ((envelope, raw),) = smtp.messages
    assert envelope.rcpt_tos == ["policy-team@example.org"]
    assert b"Sent over an encrypted connection." in raw


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_an_untrusted_certificate_is_refused(certificate, mode, tmp_path):
    cert, key = certificate
    with SmtpReceiver(password="s3cret", tls=mode, cert=cert, key=key) as smtp:
        settings = Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls=mode,
                            smtp_user="regwatch", smtp_password="s3cret")
        with pytest.raises(AlertError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            send_message(message(), settings)
        assert smtp.messages == []


def test_starttls_server_refuses_plain_mail(certificate, tmp_path):
    cert, key = certificate
    with SmtpReceiver(tls="starttls", cert=cert, key=key) as smtp:
        settings = Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none")
        with pytest.raises(AlertError, match="530"):
            send_message(message(), settings)
        assert smtp.messages == []
