"""connections add, list, test and remove; secrets never echoed."""

from __future__ import annotations

import json
from pathlib import Path

import respx

from apibrake_cli.errors import ExitCode
from sandbox.faults import Fault, FaultKind
from sandbox.server import Sandbox
from tests.cli.conftest import Run, as_json

XML_LINE = "<userPermissions><enabled>true</enabled><name>{}</name></userPermissions>"


def test_add_from_file_list_and_remove(run: Run, sandbox: Sandbox, tmp_path: Path) -> None:
    # Given a secret file for the sandbox's org
    secret = {
        "auth": "client_credentials",
        "instance_url": sandbox.salesforce_url,
        "client_id": sandbox.salesforce.settings.client_id,
        "client_secret": sandbox.salesforce.settings.client_secret,
    }
    (tmp_path / "sf.json").write_text(json.dumps(secret))
    # When it is added, listed and removed
    added = run(
        "connections", "add", "sf-prod", "--platform", "salesforce",
        "--secret-file", "sf.json", "--brake-at", "85", "--label", "Prod",
    )  # fmt: skip
    listed = run("connections", "list", "--json")
    removed = run("connections", "remove", "sf-prod", "--yes")
    after = run("connections", "list", "--json")
    # Then the item held the options, the secret never showed, and it is gone after remove
    assert added.exit_code == 0, added.output
    # The next step it prints works as copied: aimed at the same (local) stack
    assert "Next: apibrake connections test sf-prod --local" in added.stdout
    assert secret["client_secret"] not in added.output + listed.output
    (item,) = as_json(listed)["connections"]
    assert (item["connection_id"], item["brake_at"], item["label"]) == ("sf-prod", 85.0, "Prod")
    assert removed.exit_code == 0
    assert as_json(after)["connections"] == []


def test_secret_from_prompt_is_validated_without_echo(run: Run) -> None:
    typed = json.dumps({"auth": "token", "access_token": ""}) + "\n"
    typed = json.dumps({"auth": "token", "base_url": "not a url", "access_token": "pat-xyz-123"})
    result = run("connections", "add", "hs", "--platform", "hubspot", input=typed + "\n")
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "base_url" in result.stderr
    assert "pat-xyz-123" not in result.output


def test_the_prompt_offers_the_secret_file_first(run: Run) -> None:
    typed = json.dumps({"auth": "token", "base_url": "http://127.0.0.1:1", "access_token": "p"})
    result = run("connections", "add", "hs", "--platform", "hubspot", input=typed + "\n")
    helped = run("connections", "add", "--help")

    assert result.exit_code == 0, result.output
    # Before the blind one-line prompt, the file is named as the easier way
    assert result.stderr.index("--secret-file FILE") < result.stderr.index("Secret JSON")
    # The help offers the file first: the option comes before --from-sandbox and says so
    help_text = " ".join(helped.stdout.split())
    assert help_text.index("--secret-file") < help_text.index("--from-sandbox")
    assert "from --secret-file FILE (a JSON file), else a hidden one-line prompt" in help_text


def test_bad_connection_field_names_it(run: Run) -> None:
    result = run(
        "connections", "add", "sf", "--platform", "salesforce", "--from-sandbox",
        "--brake-at", "60", "--warn-at", "70",
    )  # fmt: skip
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "warn_at" in result.stderr


def test_test_reports_what_works(connected: Run) -> None:
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    result = connected("connections", "test", "sf-local", "--json")
    assert result.exit_code == 0, result.output
    report = as_json(result)
    outcomes = {check["check"]: check["outcome"] for check in report["checks"]}
    assert outcomes["authenticate"] == "ok"
    assert outcomes["read usage"] == "ok"
    assert outcomes["flow: Tooling query of FlowDefinition (LIMIT 1)"] == "ok"
    # The write permission is read from the user's permission set assignments
    assert outcomes["read permission set assignments"] == "ok"
    assert outcomes["flow needs ManageInteraction (Manage Flows)"] == "ok"
    # The brake's own read of the allowlisted flow ran, as an incident would send it
    assert outcomes["flow: the brake's reads"] == "ok"
    # usage, the permission set assignments, the probe, the brake's read
    assert report["api_calls"] == 4


def test_write_permissions_held_show_which_sets_grant_them(connected: Run) -> None:
    # Given an empty allowlist: every kind but the opt-in user freeze is checked
    result = connected("connections", "test", "sf-local", "--json")
    assert result.exit_code == 0, result.output
    checks = {check["check"]: check for check in as_json(result)["checks"]}
    # Then each write permission is ok, with the shipped set that grants it
    writes = {
        "flow needs ManageInteraction (Manage Flows)": ["apibrake_Brake_Flows"],
        # Author Apex: the scheduled jobs' set and the break-glass channel's
        "scheduled_apex needs AuthorApex (Author Apex)": [
            "apibrake_Brake_Scheduled_Apex",
            "apibrake_Break_Glass",
        ],
        "setting needs CustomizeApplication (Customize Application)": ["apibrake_Brake_Settings"],
    }
    for name, permission_sets in writes.items():
        assert checks[name]["outcome"] == "ok", checks[name]
        assert sorted(checks[name]["granted_by"]) == permission_sets
        assert all(s in checks[name]["detail"] for s in permission_sets)


def test_a_removed_write_permission_is_named_before_any_brake(
    connected: Run, sandbox: Sandbox
) -> None:
    # Given an allowlisted flow and an integration user who lost Manage Flows
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    sandbox.salesforce.revoke_permissions("ManageInteraction")
    active_before = sandbox.salesforce.flow("Account_Revenue_Rollup").active_version
    # When the connection is tested
    result = connected("connections", "test", "sf-local", "--json")
    # Then it exits with the permission code and names the permission and how to grant it
    assert result.exit_code == ExitCode.PERMISSION, result.output
    report = as_json(result)
    checks = {check["check"]: check for check in report["checks"]}
    flows = checks["flow needs ManageInteraction (Manage Flows)"]
    assert flows["outcome"] == "missing"
    assert flows["missing"] == ["ManageInteraction"]
    assert flows["granted_by"] == []
    assert "missing: ManageInteraction (Manage Flows); grant it with" in flows["detail"]
    (missing,) = report["missing"]
    assert missing["name"] == "ManageInteraction"
    assert "assign permission set apibrake_Brake_Flows (salesforce/)" in missing["grant"]
    assert XML_LINE.format("ManageInteraction") in missing["grant"]
    # And nothing was braked: the flow is as it was
    assert sandbox.salesforce.flow("Account_Revenue_Rollup").active_version == active_before


def test_an_allowlist_entry_matching_nothing_is_named_before_any_brake(connected: Run) -> None:
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    # (--no-check: `allowlist add` itself would refuse the misspelt name)
    connected("allowlist", "add", "sf-local", "flow:Lead_Assignmnet_Process", "--no-check")
    result = connected("connections", "test", "sf-local", "--json")
    assert result.exit_code == 0, result.output
    checks = {check["check"]: check for check in as_json(result)["checks"]}
    assert checks["flow: the brake's reads"]["detail"] == "1 of 2 allowlisted found"
    misspelt = checks["flow:Lead_Assignmnet_Process"]
    assert misspelt["outcome"] == "warning"
    assert "matches nothing in the org" in misspelt["detail"]


def test_missing_scope_is_named(connected: Run, sandbox: Sandbox) -> None:
    # Given a portal token without the automation scope
    sandbox.hubspot_server.faults.add(
        Fault(kind=FaultKind.STATUS, status=403, path="/automation/", times=None)
    )
    # When the connection is tested
    result = connected("connections", "test", "hs-local")
    # Then the check fails with the permission exit code and names the scope
    assert result.exit_code == ExitCode.PERMISSION
    assert "automation" in result.stdout
    assert "missing" in result.stdout
    assert "connections test hs-local" in result.stderr


def test_missing_salesforce_permission_is_named_with_the_line_to_add(
    connected: Run, sandbox: Sandbox
) -> None:
    # Given an integration user whose permission set lacks View Setup and Configuration
    sandbox.salesforce.revoke_permissions("ViewSetup")
    # When the connection is tested, for people and for scripts
    result = connected("connections", "test", "sf-local")
    report = as_json(connected("connections", "test", "sf-local", "--json"))
    # Then both name the permission, its label and the entry that grants it
    assert result.exit_code == ExitCode.PERMISSION
    assert "missing: ViewSetup (View Setup and Configuration)" in result.stdout
    assert XML_LINE.format("ViewSetup") in result.stderr
    assert "assign permission set apibrake_Watch (salesforce/)" in result.stderr
    (missing,) = report["missing"]
    assert (missing["name"], missing["label"]) == ("ViewSetup", "View Setup and Configuration")
    assert XML_LINE.format("ViewSetup") in missing["grant"]
    usage = next(c for c in report["checks"] if c["check"] == "read usage")
    assert (usage["outcome"], usage["missing"]) == ("missing", ["ViewSetup"])


def test_manage_users_is_checked_only_when_a_user_is_allowlisted(
    connected: Run, sandbox: Sandbox
) -> None:
    # Given a permission set without Manage Users, as the README advises without user entries
    sandbox.salesforce.revoke_permissions("ManageUsers")
    # When the connection is tested with an empty allowlist, nothing is missing
    assert connected("connections", "test", "sf-local").exit_code == ExitCode.OK
    # When a user is allowlisted, the test names Manage Users and the line that grants it
    added = connected("allowlist", "add", "sf-local", "user:etl@acme.example", "--tier", "2")
    assert added.exit_code == 0, added.output
    result = connected("connections", "test", "sf-local", "--json")
    assert result.exit_code == ExitCode.PERMISSION
    assert [m["name"] for m in as_json(result)["missing"]] == ["ManageUsers"]


def test_allowlisting_a_user_at_tier_1_is_refused_naming_the_field(connected: Run) -> None:
    result = connected("allowlist", "add", "sf-local", "user:etl@acme.example")
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "field 'tier'" in result.stderr
    assert "freeze_at_tier_1" in result.stderr
    opted = connected("allowlist", "add", "sf-local", "user:etl@acme.example", "--freeze-at-tier-1")
    assert opted.exit_code == 0, opted.output


def test_user_without_api_access_is_told_api_enabled(connected: Run, sandbox: Sandbox) -> None:
    sandbox.salesforce.revoke_permissions("ApiEnabled")
    result = connected("connections", "test", "sf-local", "--json")
    assert result.exit_code == ExitCode.PERMISSION
    assert [m["name"] for m in as_json(result)["missing"]] == ["ApiEnabled"]


def test_missing_hubspot_scope_is_named_with_where_to_tick_it(
    connected: Run, sandbox: Sandbox
) -> None:
    # Given a token granted the usage scope but not automation
    sandbox.hubspot.settings.granted_scopes = frozenset({"oauth"})
    connected("allowlist", "add", "hs-local", "workflow:101")
    # When the connection is tested
    result = connected("connections", "test", "hs-local")
    report = as_json(connected("connections", "test", "hs-local", "--json"))
    # Then the usage read passes and the workflow check names the scope and where to add it
    assert result.exit_code == ExitCode.PERMISSION
    assert "Missing automation: tick scope automation on the service key" in result.stderr
    assert "Private Apps" in result.stderr
    outcomes = {c["check"]: (c["outcome"], c["missing"]) for c in report["checks"]}
    assert outcomes["read usage"] == ("ok", [])
    assert outcomes["workflow needs automation"] == ("missing", ["automation"])
    assert [m["name"] for m in report["missing"]] == ["automation"]


def test_refused_credentials_exit_with_permission_code(run: Run, tmp_path: Path) -> None:
    secret = {"auth": "token", "base_url": "http://127.0.0.1:9", "access_token": "pat-wrong"}
    (tmp_path / "hs.json").write_text(json.dumps(secret))
    run("connections", "add", "hs", "--platform", "hubspot", "--secret-file", "hs.json")
    result = run("connections", "test", "hs")
    assert result.exit_code in {ExitCode.FAILED, ExitCode.PERMISSION}
    assert "Traceback" not in result.output
    assert "pat-wrong" not in result.output


def test_unknown_connection_is_not_found(run: Run) -> None:
    result = run("connections", "test", "nope", "--json")
    assert result.exit_code == ExitCode.NOT_FOUND
    assert "connections list" in as_json(result)["hint"]


def test_a_protected_consumer_is_never_allowlisted(connected: Run, tmp_path: Path) -> None:
    # Given the HubSpot connector's user protected on the Salesforce connection
    protected = connected("connections", "protect", "sf-local", "hubspot@acme.example", "--json")
    assert protected.exit_code == 0, protected.output
    assert as_json(protected)["protected_consumers"] == ["hubspot@acme.example"]
    # When it is allowlisted for a freeze, by hand or in a file
    added = connected(
        "allowlist", "add", "sf-local", "user:HubSpot@acme.example", "--tier", "2"
    )  # fmt: skip
    (tmp_path / "entries.csv").write_text(
        "connection_id,automation,tier\nsf-local,user:hubspot@acme.example,2\n"
    )
    imported = connected("allowlist", "import", "entries.csv")
    # Then both are refused, naming the field and saying why, and nothing was stored
    assert added.exit_code == ExitCode.BAD_INPUT
    assert "field 'protected_consumers'" in added.stderr
    said = " ".join(added.stderr.split())  # the console wraps long lines
    assert "the HubSpot sync itself: keep it running; stop what feeds it" in said
    assert imported.exit_code == ExitCode.BAD_INPUT
    assert "protected_consumers" in imported.output
    assert as_json(connected("allowlist", "list", "sf-local", "--json"))["entries"] == []
    # And the list shows it, until it is taken off
    listed = as_json(connected("connections", "list", "--json"))["connections"]
    assert [c["protected_consumers"] for c in listed if c["connection_id"] == "sf-local"] == [
        ["hubspot@acme.example"]
    ]
    removed = connected("connections", "protect", "sf-local", "hubspot@acme.example", "--remove")
    assert removed.exit_code == 0
    assert "Protected consumers of sf-local: none." in removed.stdout


def test_a_bad_protected_name_names_the_field(run: Run) -> None:
    result = run(
        "connections", "add", "sf", "--platform", "salesforce", "--from-sandbox",
        "--protect", "a,b",
    )  # fmt: skip
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "field 'protected_consumers'" in result.stderr
    assert "Value error" not in result.stderr


def test_a_workflows_version_the_portal_does_not_serve_names_the_field(
    connected: Run, sandbox: Sandbox
) -> None:
    # Given a portal that no longer serves the configured workflows version (a beta: no
    # support window)
    sandbox.hubspot.settings.retired_versions = {"automation:2026-09-beta"}
    connected("allowlist", "add", "hs-local", "workflow:101")

    report = as_json(connected("connections", "test", "hs-local", "--json"))

    # Then the workflow check says which field to change, and to what
    outcomes = {c["check"]: (c["outcome"], c["detail"]) for c in report["checks"]}
    outcome, detail = outcomes["workflow: flows list, page of 1"]
    assert outcome == "failed"
    assert '"api_versions": {"flows": "v4"}' in detail


def test_a_branching_workflow_is_flagged_brake_unconfirmed(
    connected: Run, sandbox: Sandbox
) -> None:
    branch = {"type": "LIST_BRANCH", "actionId": "3", "listBranches": []}
    flow_id = sandbox.hubspot.add_workflow("Routed nurture", actions=[branch])["id"]
    connected("allowlist", "add", "hs-local", f"workflow:{flow_id}")
    connected("allowlist", "add", "hs-local", "workflow:101")

    report = as_json(connected("connections", "test", "hs-local", "--json"))

    flagged = {c["check"]: c for c in report["checks"] if c["check"].endswith(" brake")}
    assert list(flagged) == [f"workflow:{flow_id} brake"]
    assert flagged[f"workflow:{flow_id} brake"]["outcome"] == "warning"
    assert "brake unconfirmed" in flagged[f"workflow:{flow_id} brake"]["detail"]


def test_a_service_key_saved_as_a_private_app_token_is_pointed_out(
    run: Run, sandbox: Sandbox, tmp_path: Path
) -> None:
    # Given a service key saved with the default token_type (a private app's)
    secret = {
        "auth": "token",
        "base_url": sandbox.hubspot_url,
        "access_token": sandbox.hubspot.settings.service_key,
    }
    (tmp_path / "hs.json").write_text(json.dumps(secret))
    run("connections", "add", "hs", "--platform", "hubspot", "--secret-file", "hs.json")

    report = as_json(run("connections", "test", "hs", "--json"))

    # Then the check says the figure it reads leaves its own calls out, and what to set
    scope = next(c for c in report["checks"] if c["check"] == "usage figure scope")
    assert scope["outcome"] == "warning"
    assert '"token_type": "service_key"' in scope["detail"]


def _salesforce_secret(tmp_path: Path, instance_url: str) -> None:
    secret = {
        "auth": "client_credentials",
        "instance_url": instance_url,
        "client_id": "id",
        "client_secret": "cs-never-shown",
    }
    (tmp_path / "sf.json").write_text(json.dumps(secret))


def test_a_failed_token_request_is_a_failed_authentication(run: Run, tmp_path: Path) -> None:
    # Given a secret whose token endpoint does not answer (nothing listens on port 9)
    _salesforce_secret(tmp_path, "http://127.0.0.1:9")
    run("connections", "add", "sf-x", "--platform", "salesforce", "--secret-file", "sf.json")

    result = run("connections", "test", "sf-x", "--json")

    # Then authentication is the step reported failed, and nothing after it ran
    assert result.exit_code != 0
    checks = {c["check"]: c["outcome"] for c in as_json(result)["checks"]}
    assert checks == {"authenticate": "failed"}


def test_client_credentials_on_the_login_host_are_told_to_use_my_domain(
    run: Run, tmp_path: Path
) -> None:
    # Given client credentials stored against login.salesforce.com, which refuses the flow
    # (answered here by a stand-in: no request leaves the machine)
    _salesforce_secret(tmp_path, "https://login.salesforce.com")
    run("connections", "add", "sf-x", "--platform", "salesforce", "--secret-file", "sf.json")
    refusal = {
        "error": "invalid_grant",
        "error_description": "request not supported on this domain",
    }

    with respx.mock(assert_all_called=True) as platform:
        platform.post("https://login.salesforce.com/services/oauth2/token").respond(
            400, json=refusal
        )
        result = run("connections", "test", "sf-x")

    # Then authentication failed, with the advice to use the My Domain URL
    assert result.exit_code == ExitCode.PERMISSION
    said = " ".join(result.output.split())
    assert "authenticate │ failed" in said
    assert "My Domain URL" in said
    assert "docs/setup.md" in said
    assert "│ ok" not in said
    assert "cs-never-shown" not in result.output


def test_shadow_brake_is_set_and_listed(run: Run) -> None:
    added = run(
        "connections", "add", "sf", "--platform", "salesforce", "--from-sandbox",
        "--shadow-brake", "--json",
    )  # fmt: skip
    both = run(
        "connections", "add", "sf", "--platform", "salesforce", "--from-sandbox",
        "--shadow-brake", "--no-auto-brake",
    )  # fmt: skip
    listed = run("connections", "list", "--json")
    assert added.exit_code == 0, added.output
    assert as_json(added)["connection"]["auto_brake"] == "shadow"
    assert both.exit_code == ExitCode.BAD_INPUT
    assert "--shadow-brake" in both.stderr
    assert [c["auto_brake"] for c in as_json(listed)["connections"]] == ["shadow"]


def test_a_permission_field_the_org_lacks_is_not_checked_and_the_rest_still_read(
    connected: Run, sandbox: Sandbox
) -> None:
    # Given an org without the PermissionSet field of Author Apex
    sandbox.salesforce.settings.missing_permission_fields = frozenset({"PermissionsAuthorApex"})
    # When the connection is tested
    result = connected("connections", "test", "sf-local", "--json")
    # Then the read asked again without it: Author Apex is not checked, Manage Flows is ok
    assert result.exit_code == 0, result.output
    checks = {check["check"]: check for check in as_json(result)["checks"]}
    read = checks["read permission set assignments"]
    assert read["outcome"] == "ok"
    assert "no field for AuthorApex" in read["detail"]
    assert checks["scheduled_apex needs AuthorApex (Author Apex)"]["outcome"] == "not checked"
    assert checks["flow needs ManageInteraction (Manage Flows)"]["outcome"] == "ok"
