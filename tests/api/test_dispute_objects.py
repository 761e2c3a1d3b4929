"""Tickets about an object of another module (R8.1, Art. 18.1): a dataset
(catalog, 0002), a sharing request or grant (sharing, 0003), a suspension
(suspension, 0004), and the routed agency's focal point (catalog).

The dispute module reads those tables (modules/dispute/routing.c); each
test here needs its tables and is skipped until their migration is on the
branch. (test_disputes.py checks the 422 "not supported yet" meanwhile.)
Rows are written directly with the columns the migrations require, as they
stood on their branches when this was written: the contract's columns
(notes/contract.md) plus the NOT NULL ones without a default.
"""

import pytest

from dispute_support import (dic_agency_id, error_fields, file_dispute, filed,
                             party, table_exists)


@pytest.fixture
def consumer(api, new_agency):
    return party(api, new_agency, "OC")


@pytest.fixture
def provider(api, new_agency):
    return party(api, new_agency, "OP")


@pytest.fixture
def outsider(api, new_agency):
    return party(api, new_agency, "OO")


def need(db, *tables):
    missing = [t for t in tables if not table_exists(db, t)]
    if missing:
        pytest.skip(f"tables not migrated yet: {', '.join(missing)}")


def insert(db, sql, params) -> int:
    """Runs an INSERT and returns the new row's id."""
    return int(db(sql + "; SELECT LAST_INSERT_ID()", params)[0][0])


def make_dataset(db, agency_id, status="published") -> int:
    """A shared dataset in a listed database: every agency sees it once
    published (a ticket may name only what the filer sees, issue 16)."""
    name = f"CSDL vướng mắc {agency_id}-{status}"
    database_id = insert(db, "INSERT INTO `databases` (agency_id, kind, name, "
                         "location, status) VALUES (%s, 'specialized', %s, "
                         "'agency', 'listed')", (agency_id, name))
    return insert(db, "INSERT INTO datasets (database_id, title, status, "
                  "classification) VALUES (%s, %s, %s, 'shared')",
                  (database_id, name, status))


def make_request(db, consumer, provider, dataset_id) -> int:
    return insert(db, "INSERT INTO sharing_requests (consumer_agency_id, "
                  "provider_agency_id, dataset_id, purpose, legal_basis, "
                  "fields_json, term, starts_at, due_at, created_by) VALUES "
                  "(%s, %s, %s, 'Cấp phép', 'ND47', '[]', 'indefinite', "
                  "UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), %s)",
                  (consumer.agency_id, provider.agency_id, dataset_id,
                   consumer.account_id))


def make_grant(db, consumer, provider) -> int:
    ds = make_dataset(db, provider.agency_id)
    req = make_request(db, consumer, provider, ds)
    return insert(db, "INSERT INTO grants (request_id, provider_agency_id, "
                  "consumer_agency_id, dataset_id, starts_at, fields_json, "
                  "created_by) VALUES (%s, %s, %s, %s, UTC_TIMESTAMP(6), "
                  "'[]', %s)", (req, provider.agency_id, consumer.agency_id,
                                ds, provider.account_id))


def make_suspension(db, consumer, provider) -> int:
    grant = make_grant(db, consumer, provider)
    return insert(db, "INSERT INTO suspensions (grant_id, provider_agency_id, "
                  "consumer_agency_id, imposed_by, violation, legal_ground, "
                  "determined_at, handling_plan, consumer_action, "
                  "notice_due_at) VALUES (%s, %s, %s, 'provider', 'Vi phạm', "
                  "'art_16_1_g', UTC_TIMESTAMP(6), 'Kế hoạch', 'Khắc phục', "
                  "UTC_TIMESTAMP(6))",
                  (grant, provider.agency_id, consumer.agency_id))


# ------------------------------------------------------------------- datasets

def test_dataset_ticket_goes_to_the_dataset_provider(api, db, consumer,
                                                     provider):
    need(db, "datasets")
    ds = make_dataset(db, provider.agency_id)
    d = filed(api, consumer.token, object_type="dataset", object_id=ds)
    assert d["object_type"] == "dataset" and d["object_id"] == ds
    assert d["agency_id"] == provider.agency_id
    assert d["assignee_agency_id"] == provider.agency_id
    assert d["assignment_rule"] == "art_18_1_provider"
    assert f"dataset {ds}" in d["assignment_reason"]
    assert db("SELECT object_type, object_id FROM disputes WHERE id = %s",
              (d["id"],)) == [("dataset", str(ds))]


def test_unpublished_dataset_of_another_agency_is_422(api, db, consumer,
                                                      provider):
    need(db, "datasets")
    ds = make_dataset(db, provider.agency_id, "draft")
    r = file_dispute(api, consumer.token, object_type="dataset", object_id=ds)
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"object_id"}


def test_provider_cannot_file_a_data_ticket_on_its_own_dataset(api, db,
                                                              provider):
    need(db, "datasets")
    ds = make_dataset(db, provider.agency_id)
    r = file_dispute(api, provider.token, object_type="dataset", object_id=ds)
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"object_id"}


# --------------------------------------------- requests, grants, suspensions

def test_refusal_ticket_on_a_request_goes_to_its_provider(api, db, consumer,
                                                          provider):
    need(db, "datasets", "sharing_requests")
    req = make_request(db, consumer, provider,
                       make_dataset(db, provider.agency_id))
    d = filed(api, consumer.token, category="refusal",
              object_type="sharing_request", object_id=req)
    assert d["assignee_agency_id"] == provider.agency_id
    assert d["agency_id"] == provider.agency_id
    assert f"sharing_request {req}" in d["assignment_reason"]


def test_access_ticket_on_a_grant_goes_to_its_provider(api, db, consumer,
                                                       provider):
    need(db, "datasets", "sharing_requests", "grants")
    grant = make_grant(db, consumer, provider)
    d = filed(api, consumer.token, category="access", object_type="grant",
              object_id=grant)
    assert d["assignee_agency_id"] == provider.agency_id


def test_provider_technical_ticket_on_a_grant_concerns_the_consumer(
        api, db, consumer, provider):
    need(db, "datasets", "sharing_requests", "grants")
    grant = make_grant(db, consumer, provider)
    d = filed(api, provider.token, category="technical", object_type="grant",
              object_id=grant)
    assert d["agency_id"] == consumer.agency_id
    assert d["assignee_agency_id"] == dic_agency_id(db)
    # A data ticket on its own grant is the provider's to resolve.
    r = file_dispute(api, provider.token, category="access",
                     object_type="grant", object_id=grant)
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"object_id"}


def test_grant_of_other_agencies_is_422(api, db, consumer, provider, outsider):
    need(db, "datasets", "sharing_requests", "grants")
    grant = make_grant(db, consumer, provider)
    r = file_dispute(api, outsider.token, object_type="grant", object_id=grant)
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"object_id"}
    # Naming an agency that is no party to the object is refused too.
    r = file_dispute(api, consumer.token, object_type="grant", object_id=grant,
                     agency_id=outsider.agency_id)
    assert r.status_code == 422, r.text
    assert error_fields(r) == {"agency_id"}


def test_suspension_ticket_goes_to_the_suspending_provider(api, db, consumer,
                                                           provider):
    need(db, "datasets", "sharing_requests", "grants", "suspensions")
    sid = make_suspension(db, consumer, provider)
    d = filed(api, consumer.token, category="suspension",
              object_type="suspension", object_id=sid)
    assert d["assignee_agency_id"] == provider.agency_id
    assert (d["object_type"], d["object_id"]) == ("suspension", sid)


# --------------------------------------------------------------- focal points

def test_assignee_account_is_the_current_focal_point(api, db, consumer,
                                                     provider):
    need(db, "focal_points")
    db("INSERT INTO focal_points (agency_id, name, email, account_id, "
       "ended_at) VALUES (%s, 'Cũ', 'cu@example.invalid', %s, "
       "UTC_TIMESTAMP(6))", (provider.agency_id, provider.account_id))
    d = filed(api, consumer.token, agency_id=provider.agency_id)
    assert d["assignee_account_id"] is None  # only a past one
    db("INSERT INTO focal_points (agency_id, name, email, account_id) "
       "VALUES (%s, 'Đầu mối', 'daumoi@example.invalid', %s)",
       (provider.agency_id, provider.account_id))
    d = filed(api, consumer.token, agency_id=provider.agency_id)
    assert d["assignee_account_id"] == provider.account_id
    assert db("SELECT assignee_account_id FROM disputes WHERE id = %s",
              (d["id"],)) == [(str(provider.account_id),)]
