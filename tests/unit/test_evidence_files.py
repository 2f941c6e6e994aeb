"""Evidence files as they are named, typed and served back: never a path, never a page of ours."""

from __future__ import annotations

import pytest

from services.tasking import evidence as files
from shared.errors import InvalidInput


@pytest.mark.parametrize(
    ("stored", "disposition"),
    [
        ("../../etc/passwd", "attachment; filename*=UTF-8''passwd"),  # a name stored before names were cut
        ("..\\..\\boot.ini", "attachment; filename*=UTF-8''boot.ini"),
        ('a "b";c.pdf', "attachment; filename*=UTF-8''a%20%22b%22%3Bc.pdf"),
        ("走访记录.txt", "attachment; filename*=UTF-8''%E8%B5%B0%E8%AE%BF%E8%AE%B0%E5%BD%95.txt"),
        ("folder/", "attachment; filename*=UTF-8''evidence"),
    ],
)
def test_a_download_is_an_attachment_under_its_percent_encoded_base_name(stored: str, disposition: str) -> None:
    assert files.attachment(stored) == {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"}


@pytest.mark.parametrize(
    ("stored", "served"),
    [
        ("text/html", "application/octet-stream"),
        ("image/svg+xml", "application/octet-stream"),
        ("text/html\x00", "application/octet-stream"),  # a type stored before types were checked
        ("application/pdf", "application/pdf"),
        ("image/jpeg", "image/jpeg"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", None),
    ],
)
def test_only_allow_listed_media_types_are_served_as_themselves(stored: str, served: str | None) -> None:
    assert files.served_type(stored) == (served or stored)


@pytest.mark.parametrize(
    ("declared", "kept"),
    [
        ("Text/Plain; charset=GBK", "text/plain"),
        ("text/html", "text/html"),
        ("nonsense", "application/octet-stream"),
        ("a/b/c", "application/octet-stream"),
        ("", "application/octet-stream"),
    ],
)
def test_the_declared_media_type_is_kept_without_parameters_when_it_is_one(declared: str, kept: str) -> None:
    assert files.media_type_of(declared) == kept


def test_a_sha256_is_taken_in_either_case_and_anything_else_is_refused_saying_so() -> None:
    assert files.digest("AB" * 32) == "ab" * 32
    with pytest.raises(InvalidInput, match=r"^'ab' is not a SHA-256 \(64 hexadecimal digits\)$"):
        files.digest("ab")
    with pytest.raises(InvalidInput, match="is not a SHA-256"):
        files.digest("ab" * 32 + "\n")


@pytest.mark.parametrize("header", ["a%E2%80%AEtxt.exe", "a%00b", "a\u200bb"])
def test_a_file_name_with_control_or_format_characters_is_refused(header: str) -> None:
    with pytest.raises(InvalidInput, match=r"^X-Filename: the file name must not contain control characters$"):
        files.file_name(header)
