"""Corpus app: a small shop with a cart (quantities, free-shipping threshold, promo code, checkout).

Money is kept in integer cents in both the generator and the page, so the totals the checklist expects
are exactly the ones the page shows.
"""

from __future__ import annotations

import random

from corpusgen.kit import App, Copy, count, does, esc, fill, js_value, make_app, pick, says

_SHOPS = {
    "Coffee Roasters": (["Ethiopia Yirgacheffe", "Colombia Huila", "House Espresso", "Decaf Blend", "Cold Brew Pack",
                         "Guatemala Antigua"], "☕", (8, 24)),
    "Plant Shop": (["Monstera", "Snake Plant", "Pothos", "Fiddle Leaf Fig", "Peace Lily", "ZZ Plant"], "🪴", (9, 60)),
    "Bookstore": (["The Quiet Orbit", "Salt Roads", "Cooking for Two", "Atlas of Clouds", "Small Wonders",
                   "Night Garden"], "📚", (7, 35)),
    "Sneaker Drop": (["Runner Lite", "Court Classic", "Trail Grip", "Canvas Low", "Cloud Step", "Retro High"], "👟",
                     (45, 160)),
    "Stationery": (["Dot Grid Notebook", "Brass Pen", "Washi Tape Set", "Desk Calendar", "Sticky Notes",
                    "Fountain Ink"], "✏️", (3, 40)),
    "Tea House": (["Sencha", "Earl Grey", "Jasmine Pearls", "Rooibos", "Chai Masala", "Oolong"], "🍵", (5, 22)),
}  # fmt: skip
_CART = Copy(
    titles=["{shop}"],
    nouns=["a shopping cart page for {shop}", "a product page with a cart for {shop}", "an online shop cart"],
    features=["quantity buttons", "a promo code field", "free shipping over a threshold", "a running total"],
    taglines=["Free shipping over {free_over}.", "Hand-picked for you.", "Try code {code}."],
    tips=["Code {code} takes {percent}% off.", "Use + and − to change quantities.", "Prices include tax."],
)


def _money(cents: int, symbol: str) -> str:
    return f"{symbol}{cents // 100}.{cents % 100:02d}"


def cart_app(rng: random.Random, colors: dict) -> App:
    """A shop with a cart: add items, change quantities, free shipping over a threshold, a promo code."""
    shop = pick(rng, _SHOPS)
    names, icon, (low, high) = _SHOPS[shop]
    symbol = pick(rng, ["$", "€", "£"])
    products = [{"name": n, "price": rng.randint(low, high) * 100 + pick(rng, [0, 50, 95, 99])}
                for n in pick(rng, names, rng.randint(3, 5))]  # fmt: skip
    shipping, free_over = pick(rng, [399, 499, 599]), pick(rng, [3000, 5000, 7500])
    code = pick(rng, ["SAVE10", "WELCOME15", "SPRING20", "FRIEND5"])
    percent = int("".join(ch for ch in code if ch.isdigit()))
    cards = "\n".join(fill("shop/product.html", icon=icon, name=esc(p["name"]), price=_money(p["price"], symbol), i=i)
                      for i, p in enumerate(products))  # fmt: skip
    body = fill("shop/cart.html", cards=cards, zero=_money(0, symbol), free_over=_money(free_over, symbol))
    css = fill(
        "shop/cart.css",
        cart=rng.choice([240, 260, 280]),
        gap=rng.randint(10, 18),
        card=rng.choice([140, 150, 170]),
        angle=rng.randrange(0, 360, 15),
        **colors,
    )
    js = fill(
        "shop/cart.js",
        products=js_value(products),
        symbol=js_value(symbol),
        shipping=shipping,
        free_over=free_over,
        code=js_value(code),
        percent=percent,
    )
    p0 = products[0]["price"]
    add = {"click": '.add[data-i="0"]'}
    checklist = [
        count("Lists the products", ".product", len(products)),
        does("Adding twice totals two items", [add, add], "#total",
             _money(2 * p0 + (0 if 2 * p0 >= free_over else shipping), symbol)),
        does(f"{code} takes {percent}% off", [add, {"fill": "#promo", "value": code}, {"click": "#apply"}],
             "#subtotal", _money(p0 - p0 * percent // 100, symbol)),
        does("Checkout with an empty cart is refused", [{"click": "#checkout"}], "#promo-note", "Your cart is empty."),
        says("Shows a total", "Total"),
    ]  # fmt: skip
    return make_app(rng, "shopping_cart", _CART, (body, css, js), checklist, shop=shop,
                    free_over=_money(free_over, symbol), code=code, percent=percent)  # fmt: skip
