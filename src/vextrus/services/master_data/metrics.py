"""Business metrics of the master-data service."""

from __future__ import annotations

from vextrus.kit.metrics import counter

CRUD_OPERATIONS = counter(
    "master_data_crud_operations_total",
    "Master record operations, by entity (customer, vendor, product, account, unit) and operation "
    "(create, read, list, update, delete, restore, approve, blacklist, reinstate, template); "
    "writes count once committed",
    ["entity", "op"],
)
VALIDATION_ERRORS = counter(
    "master_data_validation_errors_total",
    "Refused values, by kind (tin, bin, nid, mobile, postal_code, district, code, ...), from the API and /bd/validate",
    ["kind"],
)
CACHE_HITS = counter("master_data_cache_hits_total", "Reads of master records served from the cache")
CACHE_MISSES = counter("master_data_cache_misses_total", "Reads of master records that went to the database")
