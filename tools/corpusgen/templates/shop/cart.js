const products = {{products}};
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
totals();
