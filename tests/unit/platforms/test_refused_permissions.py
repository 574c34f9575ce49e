"""Which permission a refused call names, from the platform's own answer."""

from __future__ import annotations

from apibrake.http.errors import (
    DailyLimitExhausted,
    NotFound,
    PermissionDenied,
    RequestRejected,
)
from apibrake.models.connection import Platform
from apibrake.platforms.hubspot.scopes import AUTOMATION, OAUTH
from apibrake.platforms.permissions import how_to_grant, refused_permissions
from apibrake.platforms.salesforce.permissions import (
    API_ENABLED,
    AUTHOR_APEX,
    MANAGE_USERS,
    VIEW_SETUP,
)

SF, HS = Platform.SALESFORCE, Platform.HUBSPOT
USAGE = (API_ENABLED, VIEW_SETUP)


def test_salesforce_api_disabled_names_api_enabled() -> None:
    error = PermissionDenied(
        "salesforce", "The REST API is not enabled", code="API_DISABLED_FOR_ORG"
    )
    assert refused_permissions(SF, error, USAGE) == (API_ENABLED,)


def test_salesforce_insufficient_access_names_what_the_read_proves_beyond_api_access() -> None:
    error = PermissionDenied("salesforce", "no access", status=403, code="INSUFFICIENT_ACCESS")
    assert refused_permissions(SF, error, USAGE) == (VIEW_SETUP,)


def test_salesforce_hidden_object_is_a_missing_permission() -> None:
    error = RequestRejected(
        "salesforce", "sObject type 'CronTrigger' is not supported", code="INVALID_TYPE"
    )
    assert refused_permissions(SF, error, (VIEW_SETUP,)) == (VIEW_SETUP,)


def test_salesforce_other_errors_name_nothing() -> None:
    spent = DailyLimitExhausted("salesforce", "TotalRequests Limit exceeded.", status=403)
    assert refused_permissions(SF, spent, USAGE) == ()
    assert refused_permissions(SF, NotFound("salesforce", "gone", status=404), USAGE) == ()


def test_hubspot_names_the_scopes_its_403_names_known_or_not() -> None:
    error = PermissionDenied("hubspot", "missing scopes", missing_scopes=("automation", "crm.x"))
    named = refused_permissions(HS, error, (OAUTH,))
    assert [p.name for p in named] == ["automation", "crm.x"]
    assert named[0] == AUTOMATION


def test_hubspot_403_without_scopes_names_what_the_read_proves() -> None:
    error = PermissionDenied("hubspot", "forbidden")
    assert refused_permissions(HS, error, (OAUTH,)) == (OAUTH,)


def test_how_to_grant_gives_the_line_to_add() -> None:
    assert (
        "<userPermissions><enabled>true</enabled><name>ViewSetup</name></userPermissions>"
        in how_to_grant(SF, VIEW_SETUP)
    )
    assert "apibrake_Watch" in how_to_grant(SF, VIEW_SETUP)
    assert "automation" in how_to_grant(HS, AUTOMATION)
    assert "Service keys" in how_to_grant(HS, AUTOMATION)


def test_how_to_grant_names_the_least_powerful_set_that_grants_it() -> None:
    # View Setup is in every brake set too: the watch's is the one to assign.
    assert "assign permission set apibrake_Watch " in how_to_grant(SF, VIEW_SETUP)
    assert "assign permission set apibrake_Brake_Scheduled_Apex " in how_to_grant(SF, AUTHOR_APEX)
    assert "assign permission set apibrake_Brake_Freeze_Users " in how_to_grant(SF, MANAGE_USERS)
