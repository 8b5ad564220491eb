"""Pickup-list backend: the system of record for certificate collection."""
