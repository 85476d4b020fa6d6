const monthly = {{monthly}}, names = {{names}}, save = {{save}}, symbol = {{symbol}};
const yearlyBox = document.getElementById('yearly');
let chosen = null;

function price(i) {
  return yearlyBox.checked ? Math.floor(monthly[i] * 12 * (100 - save) / 100) : monthly[i];
}

function refresh() {
  monthly.forEach((_, i) => { document.getElementById('price-' + i).textContent = symbol + price(i); });
  document.querySelectorAll('.per').forEach(el => { el.textContent = yearlyBox.checked ? '/yr' : '/mo'; });
  if (chosen !== null) {
    document.getElementById('summary').textContent = names[chosen] + ': ' + symbol + price(chosen) +
      (yearlyBox.checked ? ' per year.' : ' per month.');
  }
}

yearlyBox.addEventListener('change', refresh);
document.querySelectorAll('.choose').forEach(button => button.addEventListener('click', () => {
  chosen = +button.dataset.i;
  document.querySelectorAll('.plan').forEach((plan, i) => plan.classList.toggle('chosen', i === chosen));
  refresh();
}));
refresh();
