"""The ISM double: policy writes guarded by `_seq_no` as ISM guards them, and policies
attached to the indices the node has."""

from __future__ import annotations

import json

from tests.doubles.ism import IsmDouble

POLICY = json.dumps({"policy": {"description": "delete after 30 days"}}).encode()
ATTACH = json.dumps({"policy_id": "retention"}).encode()


def test_policy_updates_need_the_current_seq_no() -> None:
    ism, none = IsmDouble(), lambda expression: []
    path = "/_plugins/_ism/policies/retention"
    status, created = ism.handle("PUT", path, POLICY, none)
    assert (status, created["_version"]) == (201, 1)
    assert ism.handle("PUT", path, POLICY, none)[0] == 409, "a blind update is refused"
    status, current = ism.handle("GET", path, b"", none)
    assert status == 200 and current["policy"] == {"description": "delete after 30 days"}
    guard = f"?if_seq_no={current['_seq_no']}&if_primary_term={current['_primary_term']}"
    status, replaced = ism.handle("PUT", path + guard, POLICY, none)
    assert (status, replaced["_version"]) == (200, 2)
    status, stale = ism.handle("PUT", path + guard, POLICY, none)
    assert status == 409 and "current document has seqNo" in stale["error"]["reason"]
    assert ism.handle("DELETE", path, b"", none)[0] == 200
    assert ism.handle("GET", path, b"", none)[0] == 404


def test_add_attaches_the_unmanaged_and_change_policy_the_managed() -> None:
    ism = IsmDouble()
    ism.handle("PUT", "/_plugins/_ism/policies/retention", POLICY, lambda expression: [])
    assert ism.handle("POST", "/_plugins/_ism/add/logs-*", ATTACH, lambda expression: [])[0] == 404
    names = {"logs-*": ["logs-1", "logs-2"]}
    ism.managed["logs-2"] = "retention"
    status, added = ism.handle("POST", "/_plugins/_ism/add/logs-*", ATTACH, names.__getitem__)
    assert (status, added["updated_indices"], added["failures"]) == (200, 1, True)
    changed = ism.handle("POST", "/_plugins/_ism/change_policy/logs-*", ATTACH, names.__getitem__)
    assert changed[1]["updated_indices"] == 2
    assert ism.managed == {"logs-1": "retention", "logs-2": "retention"}
