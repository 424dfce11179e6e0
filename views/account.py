"""My account: the customer account, B2B requests and orders."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

bp = Blueprint("account", __name__)


@bp.route("/account")
@login_required
def index():
    return render_template("account/index.html", customer=current_user.customer)
