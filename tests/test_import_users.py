"""Users in the import: their roles (default Admin, Payer, Buyer; any non-empty subset; bad values refused with a
clear message, nothing imported), and a user moved to another company keeps nothing of the old one: its invoices
leave their cart, and a checkout started before the move is not recorded."""
from __future__ import annotations

import pytest

from tests.world import PASSWORD, USERS


def user_roles(email):
    from models import db
    from models.customer import User

    with db.connection_context():
        return User.get(User.email == email).roles


def run_import(payload):
    from models import db
    from models.importer import import_data

    with db.connection_context():
        return import_data(payload)


def person(email="new@ret1.example", customer="RET-1", **extra):
    return {"email": email, "name": "New", "password": PASSWORD, "customer": customer, **extra}


def test_roles_default_given_and_kept(world, db_conn):
    assert user_roles(USERS["kari"][0]) == "admin,buyer,payer"
    run_import({"users": [person(roles=["viewer", "payer"])]})
    assert user_roles("new@ret1.example") == "payer,viewer"
    run_import({"users": [person()]})
    assert user_roles("new@ret1.example") == "payer,viewer", "a re-import without roles keeps them"
    run_import({"users": [person(roles=["admin"])]})
    assert user_roles("new@ret1.example") == "admin"


@pytest.mark.parametrize("roles, message", [
    ([], "must be a non-empty list of roles"),
    ("admin", "must be a non-empty list of roles"),
    (["admin", "owner"], "'owner' is not a role; use any of admin, payer, buyer, viewer"),
    ([1], "1 is not a role"),
])
def test_bad_roles_refuse_the_whole_import(world, db_conn, roles, message):
    from models.importer import ImportProblem

    with pytest.raises(ImportProblem) as refused:
        run_import({"users": [person(email="other@ret1.example"), person(roles=roles)]})
    assert refused.value.field == "roles" and message in str(refused.value)
    assert "user new@ret1.example" in str(refused.value)
    from models.customer import User

    assert not User.select().where(User.email.in_(["other@ret1.example", "new@ret1.example"])).exists()


def test_import_data_command_says_import_refused(world, app, tmp_path):
    import json

    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"users": [person(roles=["boss"])]}))
    result = app.test_cli_runner().invoke(args=["import-data", str(path)])
    assert "Import refused: user new@ret1.example: field 'roles': 'boss' is not a role" in result.output


def test_a_user_moved_to_another_company_loses_the_old_companys_cart_lines(world, client, auth):
    """Kari (RET-1) has D-001 (DIST-1's) and R1-001 in her cart and has started paying; the import moves her to
    IND-1: both lines are gone, the started checkout is not recorded, and the old invoices answer 404."""
    from models import db
    from models.cart import CartLine
    from models.invoice import Payment
    from tests.test_checkout import gateway_result, start_payment

    auth.login("kari")
    client.post("/cart/invoices", data={"invoice": "D-001"})
    client.post("/cart/invoices", data={"invoice": "R1-001"})
    back = gateway_result(client, start_payment(client))
    client.get("/cart")  # (the flashed confirmations)
    run_import({"users": [{"email": USERS["kari"][0], "name": "Kari", "password": PASSWORD, "customer": "IND-1"}]})
    with db.connection_context():
        assert CartLine.select().count() == 0
    assert "D-001" not in client.get("/cart").get_data(as_text=True)
    response = client.get(back, follow_redirects=True)
    with db.connection_context():
        assert Payment.select().where(Payment.method != "imported").count() == 0
    assert client.get("/invoices/D-001").status_code == 404
    assert client.post("/cart/invoices", data={"invoice": "D-001"}).status_code == 404
    assert response.status_code == 200


def test_a_moved_users_requests_of_old_invoices_leave_my_account(world, client, auth):
    auth.login("kari")
    client.post("/invoices/D-004/request")
    assert ">D-004<" in client.get("/account").get_data(as_text=True)
    run_import({"users": [{"email": USERS["kari"][0], "name": "Kari", "password": PASSWORD, "customer": "IND-1"}]})
    assert ">D-004<" not in client.get("/account").get_data(as_text=True)


def test_a_colleague_who_stays_keeps_the_cart(world, client, auth):
    from models import db
    from models.cart import CartLine

    auth.login("ola")
    client.post("/cart/invoices", data={"invoice": "D-001"})
    run_import({"users": [{"email": USERS["kari"][0], "name": "Kari", "password": PASSWORD, "customer": "IND-1"}]})
    with db.connection_context():
        assert CartLine.select().count() == 1
