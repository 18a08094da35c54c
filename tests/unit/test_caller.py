"""The caller the authorizer describes (shared/caller.py): a store key's own stores."""

import pytest

from shared.caller import (EVERY_STORE, Caller, ChainWideReportError, StoreForbiddenError,
                           StoreRequiredError)


def test_context_to_caller():
    assert Caller.from_authorizer(None) == EVERY_STORE == Caller()
    assert Caller.from_authorizer({"role": "admin"}) == Caller("admin", None)
    assert Caller.from_authorizer({"role": "store", "stores": ""}) == Caller("store", None)
    assert Caller.from_authorizer({"role": "store", "stores": "1 2"}) == Caller("store", frozenset({1, 2}))
    assert Caller.from_authorizer({"role": "store", "stores": "1,2"}) == Caller("store", frozenset({1, 2}))


def test_a_key_of_every_store_may_name_any_and_list_all():
    EVERY_STORE.check_store(99)
    EVERY_STORE.check_chain_wide()
    assert EVERY_STORE.store_filter(None) is None and EVERY_STORE.store_filter(7) == 7


def test_a_store_key_names_its_own_stores_only():
    one, two = Caller("store", frozenset({3})), Caller("store", frozenset({3, 4}))
    one.check_store(3)
    with pytest.raises(StoreForbiddenError) as refused:
        one.check_store(4)
    assert refused.value.status == 403 and refused.value.details == [{"store_id": 4, "own_stores": [3]}]
    assert one.store_filter(None) == 3 and two.store_filter(4) == 4
    with pytest.raises(StoreRequiredError):
        two.store_filter(None)
    with pytest.raises(ChainWideReportError):
        one.check_chain_wide()
