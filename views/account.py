"""My account: the customer account and who is billed for its orders, B2B requests, orders."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from models.order import billing_for, recent_orders
from models.passwords import MIN_LENGTH
from models.request import B2BRequest

bp = Blueprint("account", __name__)


@bp.route("/account")
@login_required
def index():
    user = current_user._get_current_object()
    return render_template("account/index.html", customer=user.customer, billing=billing_for(user.customer),
                           b2b_requests=B2BRequest.for_user(user), orders=recent_orders(user),
                           min_length=MIN_LENGTH)
