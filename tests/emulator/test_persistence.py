"""The state file: an emulator restarted on the same file keeps the account."""

from __future__ import annotations

import json
from pathlib import Path

from ncc_emulator.testing import start_emulator

from .conftest import AZURE_BLOB, Api


def test_restart_keeps_account(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    run, stop = start_emulator("azure", state_file=state, config={"creating_seconds": 0})
    try:
        api = Api(run)
        run.admin.add_workspace(5, "eastus2")
        ncc_id = api.create_ncc()["network_connectivity_config_id"]
        rule_id = api.create_rule(ncc_id, **AZURE_BLOB)["rule_id"]
        run.admin.approve(rule_id)
        run.admin.configure(page_size=7)
        offset_ms = run.admin.advance_clock(3600)
        headers = dict(api.http.headers)
        before = api.ok("GET", f"/network-connectivity-configs/{ncc_id}")
    finally:
        stop()
    text = state.read_text()
    assert run.client_secret not in text
    assert headers["authorization"].split()[1] not in text  # tokens stored as digests only
    assert json.loads(text)["account_id"] == run.account_id

    again, stop = start_emulator(
        "azure", state_file=state, client_secret=run.client_secret, config={"creating_seconds": 0}
    )
    try:
        api = Api(again)
        api.http.headers.update(headers)  # a token issued before the restart still works
        assert api.ok("GET", f"/network-connectivity-configs/{ncc_id}") == before
        assert api.rule(ncc_id, rule_id)["connection_state"] == "ESTABLISHED"
        assert api.ok("GET", "/workspaces/5")["workspace_id"] == 5
        assert again.admin.configure()["page_size"] == 7
        assert again.admin.advance_clock(0) >= offset_ms
    finally:
        stop()


def test_missing_state_file_starts_empty(tmp_path: Path) -> None:
    run, stop = start_emulator("aws", state_file=tmp_path / "new" / "state.json")
    try:
        assert Api(run).ok("GET", "/network-connectivity-configs") == {"items": []}
    finally:
        stop()


def test_state_file_from_before_cursors_and_retired_keys_loads(tmp_path: Path) -> None:
    """Old files: config with the retired ``deactivated_blocks_ncc_delete``, objects without
    ``seq``. They load, and list pages continue in stored order."""
    state = tmp_path / "state.json"
    run, stop = start_emulator("azure", state_file=state, config={"page_size": 1})
    try:
        api = Api(run)
        made = [api.create_ncc(f"ncc-{i}")["network_connectivity_config_id"] for i in range(2)]
    finally:
        stop()
    data = json.loads(state.read_text())
    data["config"]["deactivated_blocks_ncc_delete"] = True
    for ncc in data["nccs"]:
        del ncc["seq"]
    del data["last_seq"]
    state.write_text(json.dumps(data))
    again, stop = start_emulator("azure", state_file=state, client_secret=run.client_secret)
    try:
        api = Api(again)
        first = api.ok("GET", "/network-connectivity-configs")
        token = {"page_token": first["next_page_token"]}
        second = api.ok("GET", "/network-connectivity-configs", params=token)
        listed = [n["network_connectivity_config_id"] for n in first["items"] + second["items"]]
        assert listed == made
        newest = api.create_ncc("ncc-new")["network_connectivity_config_id"]
        third = api.ok("GET", "/network-connectivity-configs", params=token)
        assert [n["network_connectivity_config_id"] for n in third["items"]] == [made[1]]
        assert third["next_page_token"]
        assert newest not in listed
    finally:
        stop()
