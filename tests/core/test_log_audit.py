"""The log audit itself catches what it must (so a clean run means something)."""

from __future__ import annotations

from tests.support.log_audit import leaks, seeded_badges


def test_the_audit_finds_emails_tokens_and_badges() -> None:
    badges = seeded_badges()
    assert len(badges) >= 200
    badge = sorted(badges)[0]
    text = "\n".join(
        [
            '{"event": "booking_made", "maker_id": 12}',
            '{"event": "mail_sent", "to": "ana.peeters@example.org"}',
            '{"event": "auth", "header": "Bearer fdk_Zq3x9LmN0pQrStUvWxYz0123456789abcdefGHIJ"}',
            f'{{"event": "scan", "value": "{badge}"}}',
            '{"event": "device_registered", "token_hint": "fdk_Zq3x9L"}',
        ]
    )
    assert [line.split('"')[3] for line in leaks(text, badges)] == ["mail_sent", "auth", "scan"]
