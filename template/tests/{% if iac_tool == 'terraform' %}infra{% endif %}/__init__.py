"""Tests of the Terraform configuration, on the HCL itself (conftest.py parses it)."""
