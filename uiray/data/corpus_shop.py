"""Corpus app: a small shop with a cart (quantities, free-shipping threshold, promo code, checkout).

Money is kept in integer cents in both the generator and the page, so the totals the checklist expects
are exactly the ones the page shows.
"""

from __future__ import annotations

import random

from uiray.data.corpus_kit import App, Copy, count, does, esc, fill, js_value, make_app, pick, says

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
_CART_HTML = """<div class="shop">
<section class="products">
{{cards}}
</section>
<aside class="panel cart"><h2>Your cart</h2><ul id="cart-lines"></ul>
<p>Subtotal: <b id="subtotal">{{zero}}</b></p><p>Shipping: <b id="shipping">{{zero}}</b></p>
<p class="total">Total: <b id="total">{{zero}}</b></p>
<div class="row"><input id="promo" placeholder="Promo code" aria-label="Promo code">
<button id="apply" class="ghost">Apply</button></div>
<p id="promo-note" class="muted">Free shipping over {{free_over}}.</p>
<button id="checkout">Checkout</button>
</aside>
</div>"""
_PRODUCT_HTML = """<article class="product panel"><div class="thumb">{{icon}}</div><h3>{{name}}</h3>
<p>{{price}}</p><button class="add" data-i="{{i}}">Add to cart</button></article>"""
_CART_CSS = """.shop { display: grid; grid-template-columns: 1fr {{cart}}px; gap: {{gap}}px; align-items: start; }
.products { display: grid; grid-template-columns: repeat(auto-fill, minmax({{card}}px, 1fr)); gap: {{gap}}px; }
.thumb { font-size: 2.4rem; height: 72px; display: grid; place-items: center; border-radius: 8px;
  background: linear-gradient({{angle}}deg, {{accent}}33, {{accent2}}33); }
#cart-lines { list-style: none; padding: 0; }
#cart-lines li { display: flex; justify-content: space-between; gap: 6px; padding: 4px 0; }
.total { font-size: 1.2rem; }"""


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
    cards = "\n".join(fill(_PRODUCT_HTML, icon=icon, name=esc(p["name"]), price=_money(p["price"], symbol), i=i)
                      for i, p in enumerate(products))  # fmt: skip
    body = fill(_CART_HTML, cards=cards, zero=_money(0, symbol), free_over=_money(free_over, symbol))
    css = fill(_CART_CSS, cart=rng.choice([240, 260, 280]), gap=rng.randint(10, 18), card=rng.choice([140, 150, 170]),
               angle=rng.randrange(0, 360, 15), **colors)  # fmt: skip
    js = fill(_CART_JS, products=js_value(products), symbol=js_value(symbol), shipping=shipping, free_over=free_over,
              code=js_value(code), percent=percent)  # fmt: skip
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


_CART_JS = """const products = {{products}};
const cart = new Map();
let discount = 0;

function money(cents) {
  return {{symbol}} + Math.floor(cents / 100) + '.' + String(cents % 100).padStart(2, '0');
}

function totals() {
  let subtotal = 0;
  cart.forEach((qty, i) => { subtotal += products[i].price * qty; });
  subtotal -= Math.floor(subtotal * discount / 100);
  const shipping = subtotal === 0 || subtotal >= {{free_over}} ? 0 : {{shipping}};
  document.getElementById('subtotal').textContent = money(subtotal);
  document.getElementById('shipping').textContent = shipping ? money(shipping) : 'free';
  document.getElementById('total').textContent = money(subtotal + shipping);
}

function line(i) {
  let li = document.getElementById('line-' + i);
  if (!li) {
    li = document.createElement('li');
    li.id = 'line-' + i;
    const name = document.createElement('span');
    name.textContent = products[i].name;
    const qty = document.createElement('span');
    const minus = document.createElement('button');
    minus.textContent = '−'; minus.className = 'ghost'; minus.setAttribute('aria-label', 'One less');
    minus.addEventListener('click', () => change(i, -1));
    const plus = document.createElement('button');
    plus.textContent = '+'; plus.className = 'ghost'; plus.setAttribute('aria-label', 'One more');
    plus.addEventListener('click', () => change(i, 1));
    li.append(name, minus, qty, plus);
    document.getElementById('cart-lines').append(li);
  }
  return li;
}

function change(i, step) {
  const qty = (cart.get(i) || 0) + step;
  if (qty <= 0) { cart.delete(i); line(i).remove(); }
  else { cart.set(i, qty); line(i).children[2].textContent = '×' + qty; }
  totals();
}

document.querySelectorAll('.add').forEach(button => button.addEventListener('click', () => {
  change(+button.dataset.i, 1);
  button.textContent = 'Added ×' + cart.get(+button.dataset.i);
}));
document.getElementById('apply').addEventListener('click', () => {
  const code = document.getElementById('promo').value.trim().toUpperCase();
  const note = document.getElementById('promo-note');
  if (code === {{code}}) { discount = {{percent}}; note.textContent = code + ' applied: ' + discount + '% off.'; }
  else note.textContent = code ? 'Sorry, ' + code + ' is not a valid code.' : 'Enter a promo code first.';
  totals();
});
document.getElementById('checkout').addEventListener('click', () => {
  const note = document.getElementById('promo-note');
  const items = Array.from(cart.values()).reduce((a, b) => a + b, 0);
  const total = document.getElementById('total').textContent;
  note.textContent = items ? 'Order placed: ' + items + ' item(s), ' + total + '.' : 'Your cart is empty.';
});
totals();"""
