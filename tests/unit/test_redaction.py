"""The one redaction: URLs, free text, mappings and ``.env`` text as they may be shown."""

from __future__ import annotations

import pytest

from mycelium.redaction import redact_env_text, redact_mapping, redact_text, redact_url, truncate


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://127.0.0.1:1/0?password=X", "redis://127.0.0.1:1/0?password=***"),
        ("redis://:S3cr#etPW@127.0.0.1:1/0", "redis://:***@127.0.0.1:1/0"),
        ("redis://:a/b?c@h:1/0", "redis://:***@h:1/0"),
        ("postgresql://u@h/d?sslmode=require&password=p", "postgresql://***@h/d?sslmode=require&password=***"),
        ("redis://h/0?auth_token=t&db=1", "redis://h/0?auth_token=***&db=1"),
        ("redis://XSECRET@h:1/0", "redis://***@h:1/0"),
        ("tcp://u:DHSECRET2@127.0.0.1:1", "tcp://u:***@127.0.0.1:1"),
        ("redis://h:1/0", "redis://h:1/0"),
        ("garbage", "garbage"),
    ],
)  # fmt: skip
def test_a_url_is_shown_without_its_password_or_secret_query_values(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_free_text_masks_urls_and_key_value_secrets_but_keeps_ordinary_words() -> None:
    text = 'at redis://:pw@h:1/0, token=abc "password": "x y"; unknown key: port'
    assert (
        redact_text(text) == 'at redis://:***@h:1/0, token=*** "password": ***; unknown key: port'
    )


def test_a_mapping_masks_secret_keys_at_any_depth_and_urls_in_lists() -> None:
    data = {"redis": [{"password": "X", "host": "h"}], "api_key": "k", "urls": ["redis://:p@h"]}
    assert redact_mapping(data) == {
        "redis": [{"password": "***", "host": "h"}],
        "api_key": "***",
        "urls": ["redis://:***@h"],
    }


def test_env_text_masks_multi_line_values_odd_keys_and_unreadable_lines() -> None:
    text = (
        '# a comment\n#OLD_PASSWORD=SECRET-OLD\nPUBLIC=x\nA=1\nmy.dotted=s\nB="one\nSECRET-CONT"\n'
        "export C='q'\nSECRET-LINE\n"
    )
    shown = redact_env_text(text, public=("PUBLIC",))
    assert "SECRET" not in shown
    assert shown.splitlines() == [
        "# a comment",
        "#OLD_PASSWORD=<secret sha256:e85c4e72>",
        "PUBLIC=x",
        "A=<secret sha256:6b86b273>",
        "my.dotted=<secret sha256:043a7187>",
        "B=<secret sha256:bf0fc0e4>",
        "export C=<secret sha256:cc04b013>",
        "<unreadable line sha256:16fd914e>",
    ]


def test_long_input_is_echoed_as_its_start_and_its_length() -> None:
    assert truncate("x" * 10_000_000) == "x" * 80 + "… (10000000 characters)"
    assert truncate("short") == "short"
