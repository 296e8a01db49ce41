"""A faithful emulator of the Databricks Account API: NCCs, private endpoint rules, workspaces.

Independent code: it never imports ``ncc_operator`` (an import-linter contract enforces that), so
the operator's assumptions cannot leak into the thing that checks them.
"""
