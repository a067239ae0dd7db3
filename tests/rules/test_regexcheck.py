"""Patterns that see log text must be linear-time; the checker refuses the risky shapes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.classify.signals import extract_signals
from pipeline.rules import load_rules
from pipeline.rules.regexcheck import UnsafePattern, compile_safe


@pytest.mark.parametrize("pattern", [
    r"\((?P<value>[0-9]{1,3}(?:\.[0-9]{1,3}){3})\)", r"SSLPEER\((?P<value>[^)]{1,1024})\)", r"[Cc]hannel '(?P<value>[^']*)'",
    r"(?:local|remote)=(?P<value>[A-Z0-9_]{4,60})",
])
def test_safe_patterns_compile(pattern: str) -> None:
    assert compile_safe(pattern).pattern == pattern


@pytest.mark.parametrize("pattern", [r"(a+)+b", r"(?:\s*x)*", r"(a|ab)*c", r"(a+){3}", r".*error", r"(a)\1"])
def test_risky_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(UnsafePattern):
        compile_safe(pattern)


def test_bad_syntax_is_a_regex_error() -> None:
    with pytest.raises(re.error):
        compile_safe("(unclosed")


def test_every_bundled_pattern_passes_the_checker() -> None:
    for _kind, rule in load_rules().all_rules():
        for pattern in [rule.get("pattern"), rule.get("msg_id_pattern")] + [c.value for c in rule.get("when", ()) if c.op == "matches"]:
            if pattern:
                compile_safe(pattern)


text = st.text(alphabet=st.sampled_from(list("AMQ9633E:'()[]= SSLPEER,CN=x.0123456789 \n\t'?")), max_size=300)


@settings(max_examples=25, deadline=None)
@given(messages=st.lists(text, min_size=1, max_size=8))
def test_extraction_never_fails_and_keeps_rows(messages: list[str]) -> None:
    import pandas as pd

    df = pd.DataFrame({"message": messages, "comment_insert_2": messages, "last_error": messages})
    out = extract_signals(df, load_rules())
    assert len(out) == len(df) and list(out.index) == list(df.index)
    assert out["remote_port"].dropna().between(0, 99999).all()
