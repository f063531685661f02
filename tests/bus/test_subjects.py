"""Subject, filter and name rules shared by the backends."""

from __future__ import annotations

import pytest

from beffroi.bus._subjects import (
    SubjectFilter,
    SubjectSpace,
    check_filter,
    check_msg_id,
    check_name,
    check_subject,
    filter_is_subset,
    filter_matches,
)
from beffroi.errors import BusError


@pytest.mark.parametrize(
    ("subject_filter", "subject", "expected"),
    [
        ("a.b", "a.b", True),
        ("a.b", "a.c", False),
        ("a.*", "a.b", True),
        ("a.*", "a.b.c", False),
        ("a.*", "a", False),
        ("a.>", "a.b", True),
        ("a.>", "a.b.c", True),
        ("a.>", "a", False),
        ("*.b.>", "x.b.c", True),
        ("*.b.>", "x.c.c", False),
        (">", "anything.at.all", True),
        ("a.*.c", "a.b.c", True),
        ("a.*.c", "a.b.d", False),
        ("a.b.c", "a.b", False),
    ],
)
def test_filter_matching(subject_filter: str, subject: str, expected: bool) -> None:
    assert filter_matches(subject_filter, subject) is expected
    assert SubjectFilter(subject_filter).matches(subject) is expected
    assert SubjectFilter(subject_filter).matches(subject) is expected  # cached answer too


@pytest.mark.parametrize(
    ("inner", "outer", "expected"),
    [
        ("a.b", "a.>", True),
        ("a.*", "a.>", True),
        ("a.>", "a.>", True),
        ("a.>", "a.*", False),
        ("a.*", "a.*", True),
        ("a.b.c", "a.*", False),
        ("a", "a.>", False),
        (">", "a.>", False),
        ("a.b", "*.b", True),
        ("*.b", "a.b", False),
    ],
)
def test_filter_subsets(inner: str, outer: str, expected: bool) -> None:
    assert filter_is_subset(inner, outer) is expected


def test_a_stream_admits_filters_inside_or_wider_than_its_subjects_like_nats() -> None:
    space = SubjectSpace(["e.a.>", "e.b"])

    assert space.admits("e.a.x")
    assert space.admits("e.b")
    assert space.admits("e.>")
    assert space.admits(">")
    assert not space.admits("e.*.x")
    assert not space.admits("other.>")
    assert space.accepts("e.a.x.y")
    assert not space.accepts("e.a")


@pytest.mark.parametrize(
    ("subject", "problem"),
    [
        ("", "empty"),
        ("a..b", "empty token"),
        ("a.*", "only allowed in subscription filters"),
        ("a.b>", "whole token"),
        ("a.b c", "whitespace"),
        ("a.b\tc", "whitespace"),
    ],
)
def test_bad_subjects_are_named_with_their_problem(subject: str, problem: str) -> None:
    with pytest.raises(BusError, match=problem) as raised:
        check_subject(subject)
    assert repr(subject) in str(raised.value)


def test_filters_names_and_ids_are_checked() -> None:
    assert check_filter("a.*.>") == "a.*.>"
    with pytest.raises(BusError, match="'>' may only be the last token"):
        check_filter("a.>.b")
    assert check_name("durable", "engine-readings_1") == "engine-readings_1"
    for bad in ("", "a.b", "a*", "a>", "a b", "a/b"):
        with pytest.raises(BusError, match="invalid durable name"):
            check_name("durable", bad)
    assert check_msg_id("batch-1") == "batch-1"
    for bad_id in ("", "a\nb", "a\x00b"):
        with pytest.raises(BusError, match="invalid msg_id"):
            check_msg_id(bad_id)
