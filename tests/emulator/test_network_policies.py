"""Network policies and bindings in the emulator's state file: a restarted emulator carries
on with them, as it does with NCCs; a state file written before policies existed still loads."""

from __future__ import annotations

from ncc_emulator.state import Emulator, restore, snapshot


def _emulator() -> Emulator:
    emu = Emulator(account_id="a", cloud="azure", client_id="c", client_secret="s")
    emu.store.add_workspace(7, "eastus2")
    return emu


def test_policies_and_bindings_survive_a_restart() -> None:
    emu = _emulator()
    policy = {"egress": {"network_access": {"restriction_mode": "RESTRICTED_ACCESS"}}}
    emu.network_policies.create({"network_policy_id": "r", **policy})
    emu.network_policies.bind(7, {"network_policy_id": "r"})
    again = _emulator()
    restore(again, snapshot(emu))
    assert again.network_policies.binding(7)["network_policy_id"] == "r"
    assert again.network_policies.view(again.network_policies.get("r")) == (
        emu.network_policies.view(emu.network_policies.get("r"))
    )


def test_a_state_file_from_before_policies_loads_with_the_default_policy() -> None:
    old = snapshot(_emulator())
    del old["network_policies"]
    again = _emulator()
    restore(again, old)
    assert sorted(again.network_policies.policies) == ["default-policy"]
    assert again.network_policies.binding(7)["network_policy_id"] == "default-policy"
