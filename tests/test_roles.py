"""Company roles (models/roles.py: may) by page and by crafted request: each role × every action. What a role
may not do is not offered, and a crafted POST for it answers 403 with a message and writes nothing. A company
always keeps an active Admin; another company's users answer 404; a deactivated user is signed out."""
from __future__ import annotations

import pytest

from tests.world import PASSWORD, USERS

ROLES = ("admin", "payer", "buyer", "viewer")
# What each action needs (SPEC "Users of a customer company"); None: every role may.
NEEDS = {"pay": "payer", "pay_selected": "payer", "pay_overdue": "payer", "order": "buyer", "request": None,
         "invite": "admin", "change_roles": "admin", "see_activity": "admin"}


def set_roles(who, roles, active=True):
    from models import db
    from models.customer import User
    from models.roles import roles_text

    with db.connection_context():
        User.update(roles=roles_text(roles), active=active).where(User.email == USERS[who][0]).execute()


def user(who):
    from models import db
    from models.customer import User

    with db.connection_context():
        return User.get(User.email == USERS[who][0])


def counts():
    """Everything the actions could write."""
    from models import db
    from models.activity import Activity
    from models.cart import CartLine
    from models.invitation import Invitation
    from models.order import SalesOrder
    from models.outbox import OutboxEmail
    from models.request import B2BRequest

    with db.connection_context():
        return {model.__name__: model.select().count()
                for model in (CartLine, SalesOrder, Invitation, OutboxEmail, B2BRequest, Activity)}


def page_offers(client, action) -> bool:
    """Whether the page where `action` lives offers it to the signed-in user."""
    if action == "pay":
        html = client.get("/invoices/D-001").get_data(as_text=True)
        return ">Pay invoice<" in html
    if action == "pay_selected":
        return "Pay selected" in client.get("/invoices").get_data(as_text=True)
    if action == "pay_overdue":
        return "Pay all overdue" in client.get("/invoices").get_data(as_text=True)
    if action == "order":
        return "Add Pallet wrap to cart" in client.get("/products").get_data(as_text=True)
    if action == "request":
        return ("Request invoice" in client.get("/invoices/D-001").get_data(as_text=True)
                and "Email me the statement" in client.get("/statement").get_data(as_text=True))
    if action == "invite":
        response = client.get("/account/users")
        return response.status_code == 200 and ">Invite user<" in response.get_data(as_text=True)
    if action == "change_roles":
        response = client.get("/account/users")
        return response.status_code == 200 and ">Edit roles<" in response.get_data(as_text=True)
    if action == "see_activity":
        return client.get("/account/activity").status_code == 200
    raise AssertionError(action)


def crafted(client, action, kari_id):
    """The request a crafted form would send for `action`."""
    return {
        "pay": lambda: client.post("/cart/invoices", data={"invoice": "D-001"}),
        "pay_selected": lambda: client.post("/cart/invoices/selected", data={"invoice": ["D-001", "R1-001"]}),
        "pay_overdue": lambda: client.post("/cart/invoices/overdue", data={"currency": "NOK"}),
        "order": lambda: client.post("/cart/products", data={"product": "A-100", "quantity": "2"}),
        "request": lambda: client.post("/invoices/D-001/request"),
        "invite": lambda: client.post("/account/users/invite", data={"email": "new@ret1.example", "name": "New",
                                                                       "roles": ["viewer"]}),
        "change_roles": lambda: client.post(f"/account/users/{kari_id}/roles", data={"roles": ["viewer"]}),
        "see_activity": lambda: client.get("/account/activity"),
    }[action]()


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix_by_page_and_by_crafted_request(world, client, auth, role):
    """Ola (RET-1, beside Kari who stays Admin) with one role: each action offered exactly when allowed; a crafted
    request for a forbidden one answers 403 with the message and writes nothing; an allowed one goes through."""
    set_roles("ola", {role})
    auth.login("ola")
    kari_id = user("kari").id
    for action, needed in NEEDS.items():
        allowed = needed is None or needed == role
        assert page_offers(client, action) == allowed, f"{role}: {action} offered={not allowed}"
    for action, needed in NEEDS.items():
        allowed = needed is None or needed == role
        before = counts()
        response = crafted(client, action, kari_id)
        if allowed:
            assert response.status_code in (200, 303), f"{role}: {action} refused ({response.status_code})"
        else:
            assert response.status_code == 403, f"{role}: {action} answered {response.status_code}"
            assert "Your role in your company does not allow this" in response.get_data(as_text=True)
            assert counts() == before, f"{role}: a refused {action} wrote something"
    assert user("kari").roles == ("viewer" if role == "admin" else "admin,buyer,payer")


def test_checkout_and_place_order_refused_without_the_role(world, client, auth):
    """Ola adds an invoice and is then made Viewer: Pay now answers 403 and no checkout exists; a Payer-only
    user's Place order answers 403 too."""
    from models import db
    from models.checkout import Checkout

    auth.login("ola")
    assert client.post("/cart/invoices", data={"invoice": "D-001"}).status_code == 303
    set_roles("ola", {"viewer"})
    assert "Check out" not in client.get("/cart").get_data(as_text=True)
    assert client.get("/checkout").status_code == 403
    response = client.post("/checkout", data={"payment_method": "card"})
    assert response.status_code == 403
    with db.connection_context():
        assert Checkout.select().count() == 0
    set_roles("ola", {"payer"})
    assert client.post("/orders", data={"payment_method": "on_account"}).status_code == 403


def test_htmx_refusal_is_a_message_in_the_page(world, client, auth):
    set_roles("ola", {"viewer"})
    auth.login("ola")
    response = client.post("/cart/invoices", data={"invoice": "D-001"}, headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#messages"
    assert "does not allow this" in response.get_data(as_text=True)


@pytest.mark.both_databases
def test_the_last_admin_cannot_be_demoted_or_deactivated(world, client, auth):
    """RET-1 has Kari as its only Admin once Ola is a Payer: Kari cannot take Admin from herself nor deactivate
    herself; with Ola made Admin she can hand it over; Ola then cannot remove the last Admin either."""
    set_roles("ola", {"payer"})
    auth.login("kari")
    kari, ola = user("kari"), user("ola")
    response = client.post(f"/account/users/{kari.id}/roles", data={"roles": ["payer"]})
    assert response.status_code == 422
    assert "last active Admin" in response.get_data(as_text=True)
    assert user("kari").roles == "admin,buyer,payer"
    response = client.post(f"/account/users/{kari.id}/deactivate", follow_redirects=True)
    assert "cannot deactivate yourself" in response.get_data(as_text=True)
    assert user("kari").active
    response = client.post(f"/account/users/{kari.id}/roles", data={"roles": []})
    assert response.status_code == 422 and "Choose at least one role" in response.get_data(as_text=True)
    response = client.post(f"/account/users/{kari.id}/roles", data={"roles": ["admin", "nonsense"]})
    assert response.status_code == 422 and user("kari").roles == "admin,buyer,payer"

    assert client.post(f"/account/users/{ola.id}/roles", data={"roles": ["admin", "payer"]}).status_code == 303
    assert client.post(f"/account/users/{kari.id}/roles", data={"roles": ["viewer"]}).status_code == 303
    assert user("kari").roles == "viewer"
    # Kari is now a Viewer: the users page is no longer hers.
    assert client.get("/account/users").status_code == 403
    auth.logout()
    auth.login("ola")
    response = client.post(f"/account/users/{ola.id}/roles", data={"roles": ["payer"]})
    assert response.status_code == 422 and user("ola").roles == "admin,payer"


def test_deactivating_another_admin_is_allowed_but_never_the_last_one(db_conn, world):
    """On both databases: the rule in the model (models/users.py), under the company's lock."""
    from models.refusal import Refusal
    from models.signed_in import signed_in_user
    from models.users import change_roles, set_active

    kari, ola = signed_in_user(user("kari").id), signed_in_user(user("ola").id)
    set_active(kari, ola.id, False)  # Kari stays: allowed
    assert not user("ola").active
    with pytest.raises(Refusal) as refused:
        change_roles(kari, kari.id, ["payer"])
    assert refused.value.code == "last_admin"
    set_active(kari, ola.id, True)
    set_roles("kari", {"payer"})  # (as an import could) — Ola is then the only Admin
    with pytest.raises(Refusal):
        set_active(ola, ola.id, False)


@pytest.mark.both_databases
def test_another_companys_users_and_invitations_answer_404(world, client, auth):
    auth.login("kari")
    for url in ("/account/users/99999999999999999999/roles", "/account/users/0/roles"):
        assert client.get(url).status_code == 404
    for url in ("/account/users/99999999999999999999/deactivate", "/account/invitations/99999999999999999999/resend",
                "/account/invitations/99999999999999999999/revoke"):
        assert client.post(url).status_code == 404
    sara, anna = user("sara"), user("anna")
    for url in (f"/account/users/{sara.id}/roles", f"/account/users/{anna.id}/roles"):
        assert client.get(url).status_code == 404
        assert client.post(url, data={"roles": ["viewer"]}).status_code == 404
    assert client.post(f"/account/users/{sara.id}/deactivate").status_code == 404
    assert client.post("/account/users/999999/deactivate").status_code == 404
    assert user("sara").roles == "admin,buyer,payer" and user("sara").active
    # Sara's invitation cannot be resent or revoked by Kari.
    auth.logout()
    auth.login("sara")
    assert client.post("/account/users/invite", data={"email": "x@ret2.example", "name": "X",
                                                      "roles": ["viewer"]}).status_code == 303
    from models import db
    from models.invitation import Invitation

    with db.connection_context():
        invitation = Invitation.get()
    auth.logout()
    auth.login("kari")
    assert client.post(f"/account/invitations/{invitation.id}/revoke").status_code == 404
    assert client.post(f"/account/invitations/{invitation.id}/resend").status_code == 404
    with db.connection_context():
        assert Invitation.get_by_id(invitation.id).status == "pending"


def test_the_users_page_lists_the_company_only(world, client, auth):
    auth.login("kari")
    html = client.get("/account/users").get_data(as_text=True)
    assert "<h1>Users</h1>" in html
    assert USERS["kari"][0] in html and USERS["ola"][0] in html
    assert USERS["sara"][0] not in html and USERS["anna"][0] not in html
    assert "Admin, Payer, Buyer" in html and "Active" in html


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(world, client, auth, app):
    auth.login("ola")
    assert client.get("/account").status_code == 200
    kari_client = app.test_client()
    kari_client.post("/login", data={"email": USERS["kari"][0], "password": PASSWORD})
    assert kari_client.post(f"/account/users/{user('ola').id}/deactivate").status_code == 303
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post("/login", data={"email": USERS["ola"][0], "password": PASSWORD})
    assert response.status_code == 403 and "deactivated" in response.get_data(as_text=True)
    html = kari_client.get("/account/users").get_data(as_text=True)
    assert "Deactivated" in html and "Reactivate" in html
    assert kari_client.post(f"/account/users/{user('ola').id}/reactivate").status_code == 303
    assert client.post("/login", data={"email": USERS["ola"][0], "password": PASSWORD}).status_code == 303


def test_two_admins_demoting_each_other_at_once_leave_one(db_conn, world):
    """On both databases, real threads released together: Kari takes Admin from Ola while Ola takes it from Kari.
    The company's row lock makes the second see the first: exactly one is demoted, every round."""
    import threading

    from models import db
    from models.refusal import Refusal
    from models.signed_in import signed_in_user
    from models.users import change_roles

    kari_id, ola_id = user("kari").id, user("ola").id
    for _round in range(8):
        set_roles("kari", {"admin", "payer"})
        set_roles("ola", {"admin", "payer"})
        barrier, outcomes = threading.Barrier(2), []

        def demote(actor_id, target_id):
            with db.connection_context():
                actor = signed_in_user(actor_id)
                barrier.wait()
                try:
                    change_roles(actor, target_id, ["payer"])
                    outcomes.append("demoted")
                except Refusal as refusal:
                    outcomes.append(refusal.code)

        threads = [threading.Thread(target=demote, args=pair) for pair in ((kari_id, ola_id), (ola_id, kari_id))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(outcomes) == ["demoted", "last_admin"]
        assert sorted([user("kari").roles, user("ola").roles]) == ["admin,payer", "payer"]


def test_a_deactivated_users_remember_cookie_signs_nobody_in(world, client):
    remembered = client
    response = remembered.post("/login", data={"email": USERS["ola"][0], "password": PASSWORD, "remember": "1"})
    assert response.status_code == 303 and remembered.get_cookie("remember_token") is not None
    remembered.delete_cookie("session")
    assert remembered.get("/account").status_code == 200, "the remember cookie alone signs Ola in"
    set_roles("ola", {"payer", "buyer"}, active=False)
    remembered.delete_cookie("session")
    response = remembered.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
