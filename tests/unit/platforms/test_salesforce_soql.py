"""Salesforce string literals: quotes and backslashes never end a literal early."""

from __future__ import annotations

from apibrake.platforms.salesforce.soql import apex_string, soql_strings


def test_soql_in_list_escapes_each_value() -> None:
    assert soql_strings(["Plain", "O'Brien", "a\\' OR Name != '"]) == (
        "'Plain', 'O\\'Brien', 'a\\\\\\' OR Name != \\''"
    )


def test_apex_string_escapes_quotes_and_backslashes() -> None:
    assert apex_string("it's a \\ job") == "'it\\'s a \\\\ job'"
