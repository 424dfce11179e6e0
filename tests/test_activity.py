"""The activity log: each act writes its row in its own transaction (and none when the act is rolled back); the
database refuses to change or remove a row; Admins read it on /account/activity, filtered by kind and paged, with
bad filters and page numbers handled."""
from __future__ import annotations

import pytest

from tests.test_checkout import pay
from tests.world import PASSWORD, USERS


def entries(account="RET-1"):
    """(email, kind, details) of the company's log, oldest first."""
    from models import db
    from models.activity import Activity
    from models.customer import Customer

    with db.connection_context():
        customer = Customer.get(Customer.account == account)
        return [(a.email, a.kind, a.data) for a in
                Activity.select().where(Activity.customer == customer.id).order_by(Activity.id)]


def kinds(account="RET-1"):
    return [kind for _email, kind, _data in entries(account)]


def test_sign_ins_payments_orders_and_requests_are_recorded(world, client, auth):
    kari = USERS["kari"][0]
    assert client.post("/login", data={"email": kari, "password": "wrong"}).status_code == 422
    client.post("/login", data={"email": "nobody@nowhere.example", "password": "wrong"})
    auth.login("kari")
    assert kinds() == ["sign_in_failed", "sign_in"]
    assert entries("DIST-1") == [] and entries("RET-2") == [], "unknown emails belong to no company's log"

    pay(client, {"D-001": None, "R1-001": "100.00"})
    email, kind, data = entries()[-1]
    assert (email, kind) == (kari, "payment")
    assert data["currency"] == "NOK" and data["amount"] == "1325.00" and data["discount"] == "25.00"
    assert sorted(data["invoices"]) == [["D-001", "1225.00"], ["R1-001", "100.00"]]

    client.post("/cart/products", data={"product": "A-100", "quantity": "2"})
    from tests.test_orders import order_form

    assert client.post("/orders", data=order_form(client) | {"payment_method": "on_account"}).status_code == 303
    client.post("/invoices/D-004/request")
    client.post("/statement/email", data={"as_of": "2020-01-31"})
    assert kinds()[-3:] == ["order", "request_copy", "request_statement"]
    assert entries()[-3][2]["order"] == "SO-000001" and entries()[-3][2]["amount"] == "322.50"

    html = client.get("/account/activity").get_data(as_text=True).replace("\u00a0", " ")
    assert "<h1>Activity</h1>" in html
    for text in ("Signed in.", "Sign-in failed: wrong password.", "Paid NOK 1,325.00 by card",
                 "D-001 (NOK 1,225.00)", "Placed order SO-000001", "Requested a copy of invoice D-004",
                 "Requested the statement of account as of 2020-01-31"):
        assert text in html, text


def test_user_management_is_recorded(world, client, auth):
    from models import db
    from models.customer import User

    auth.login("kari")
    with db.connection_context():
        ola = User.get(User.email == USERS["ola"][0])
    client.post("/account/users/invite", data={"email": "new@ret1.example", "name": "New", "roles": ["payer"]})
    client.post(f"/account/users/{ola.id}/roles", data={"roles": ["viewer"]})
    client.post(f"/account/users/{ola.id}/deactivate")
    client.post(f"/account/users/{ola.id}/reactivate")
    assert kinds()[-4:] == ["invitation_sent", "roles_changed", "deactivated", "reactivated"]
    html = client.get("/account/activity?kind=users").get_data(as_text=True)
    assert "Invited new@ret1.example as Payer." in html
    assert "Changed the roles of ola@ret1.example from Admin, Payer, Buyer to Viewer." in html
    assert "Deactivated ola@ret1.example." in html
    assert "Signed in." not in html, "filtered to users and roles"


def test_an_act_rolled_back_leaves_no_row(db_conn, world, monkeypatch):
    """On both databases: the request, the invitation and the row of the log go together."""
    from models import db
    from models import invitation as invitations
    from models.activity import Activity
    from models.invitation import Invitation
    from models.request import B2BRequest
    from models.signed_in import signed_in_user
    from models.customer import User

    kari = signed_in_user(User.get(User.email == USERS["kari"][0]).id)
    with pytest.raises(RuntimeError), db.atomic():
        B2BRequest.request_invoice_copy(kari, "D-001")
        assert Activity.select().count() == 1
        raise RuntimeError("the act fails after its row was written")
    assert Activity.select().count() == 0 and B2BRequest.select().count() == 0

    def broken_queue(*args, **kwargs):
        raise RuntimeError("the outbox is down")

    monkeypatch.setattr(invitations.OutboxEmail, "queue", broken_queue)
    with pytest.raises(RuntimeError):
        invitations.invite(kari, "new@ret1.example", "New", ["viewer"], "en")
    assert Activity.select().count() == 0 and Invitation.select().count() == 0


def test_the_log_is_append_only(db_conn, world):
    from peewee import DatabaseError

    from models import db
    from models.activity import SIGN_IN, Activity, record
    from models.customer import User

    kari = User.get(User.email == USERS["kari"][0])
    with db.atomic():
        row = record(SIGN_IN, kari)
    for sql in ("UPDATE activity SET kind = 'payment'", "DELETE FROM activity"):
        with pytest.raises(DatabaseError), db.atomic():
            db.execute_sql(sql)
    with pytest.raises(TypeError):
        row.save()
    assert [a.kind for a in Activity.select()] == ["sign_in"]


def test_paging_filters_and_bad_input(world, client, auth, app):
    from models import db
    from models.activity import REQUEST_COPY, record
    from models.customer import User

    with db.connection_context(), db.atomic():
        kari = User.get(User.email == USERS["kari"][0])
        for n in range(120):
            record(REQUEST_COPY, kari, invoice=f"X-{n:03d}")
        sara = User.get(User.email == USERS["sara"][0])
        record(REQUEST_COPY, sara, invoice="SARAS-OWN")
    auth.login("kari")
    first = client.get("/account/activity").get_data(as_text=True)
    assert "Page 1 of 3" in first and "X-119" in first and "X-069" not in first
    assert "SARAS-OWN" not in first, "another company's log is never shown"
    third = client.get("/account/activity?page=3").get_data(as_text=True)
    assert "X-000" in third and "Signed in." in first and "Signed in." not in third
    for garbage, notice in (("abc", "is not a page number"), ("-1", "is not a page number"),
                            ("99999999999999999999", "is not a page number"), ("1e3", "is not a page number")):
        response = client.get(f"/account/activity?page={garbage}")
        assert response.status_code == 200 and notice in response.get_data(as_text=True)
    response = client.get("/account/activity?page=50")
    assert response.status_code == 200 and "There are only 3 pages" in response.get_data(as_text=True)
    response = client.get("/account/activity?kind=%3Cscript%3E")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "no kind of activity called" in html and "<script>" not in html
    only = client.get("/account/activity?kind=sign_in").get_data(as_text=True)
    assert "Signed in." in only and "X-119" not in only
    # Not an Admin: no log.
    auth.logout()
    with db.connection_context():
        User.update(roles="payer").where(User.email == USERS["ola"][0]).execute()
    client.post("/login", data={"email": USERS["ola"][0], "password": PASSWORD})
    assert client.get("/account/activity").status_code == 403


def test_a_card_order_is_recorded_when_the_card_is_approved(db_conn, world):
    """On both databases: waiting for the card, nothing; approved, the order; a replayed approval, nothing more."""
    from models.activity import Activity
    from models.order import CARD, confirm_card_payment, place_order
    from tests.test_orders import cart_of, user

    order = place_order(user("anna"), cart_of("anna", ("P-100", "2")), CARD)
    assert Activity.select().count() == 0
    confirm_card_payment(order.id, "gw-1", order.total)
    confirm_card_payment(order.id, "gw-1", order.total)
    [row] = Activity.select()
    assert (row.email, row.kind, row.data["order"], row.data["method"]) == (USERS["anna"][0], "order", order.number,
                                                                           "card")
