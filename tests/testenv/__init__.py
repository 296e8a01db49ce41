"""Proof that ncc_testenv gives a real control plane and real tools."""
