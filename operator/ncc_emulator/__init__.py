"""A faithful emulator of the Databricks Account API for NCCs, private endpoint rules and workspaces.

Independent code: it never imports ``ncc_operator`` (an import-linter contract enforces that), so
the operator's assumptions cannot leak into the thing that checks them.
"""
