"""The small product catalogue: a quantity and Add … to cart per product."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from models.product import Product

bp = Blueprint("products", __name__)


def products_for(user):
    """Active products in the currency the user's company is billed in (one cart, one currency)."""
    currency = user.customer.billing_customer.currency
    return list(Product.select().where(Product.active == True, Product.currency == currency)  # noqa: E712
                .order_by(Product.name))


@bp.route("/products")
@login_required
def index():
    return render_template("products/index.html", products=products_for(current_user))
