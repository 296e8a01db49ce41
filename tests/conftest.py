"""Shared pytest wiring: fixtures come from two plugins so each owner keeps its own file.

- ``ncc_testenv.pytest_plugin``: the real control plane (session) and a fresh namespace per test.
- ``tests.emulator_fixtures``: a Databricks emulator on loopback, run in a background thread so
  that both async clients and the blocking official SDK can talk to it.
"""

pytest_plugins = ["ncc_testenv.pytest_plugin", "tests.emulator_fixtures"]
