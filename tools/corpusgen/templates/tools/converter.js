const units = {{units}};
let kind = {{start}};
const valueInput = document.getElementById('value');
const fromSelect = document.getElementById('from');
const toSelect = document.getElementById('to');
const result = document.getElementById('result');

function fillUnits() {
  const list = units[kind];
  fromSelect.innerHTML = toSelect.innerHTML = '';
  list.forEach(([symbol, name]) => {
    fromSelect.add(new Option(name + ' (' + symbol + ')', symbol));
    toSelect.add(new Option(name + ' (' + symbol + ')', symbol));
  });
  toSelect.selectedIndex = 1;
  document.getElementById('kind-title').textContent = kind;
}

function convert() {
  const list = units[kind];
  const src = list.find(u => u[0] === fromSelect.value);
  const dst = list.find(u => u[0] === toSelect.value);
  const value = parseFloat(valueInput.value.replace(',', '.'));
  if (Number.isNaN(value)) { result.textContent = 'Enter a number to convert.'; return; }
  const out = ((value * src[2] + src[3]) - dst[3]) / dst[2];
  result.textContent = value + ' ' + src[0] + ' = ' + (+out.toFixed(4)) + ' ' + dst[0];
}

document.querySelectorAll('.kind').forEach(button => button.addEventListener('click', () => {
  kind = button.dataset.kind;
  document.querySelectorAll('.kind').forEach(b => b.classList.toggle('active', b === button));
  fillUnits();
  convert();
}));
document.getElementById('swap').addEventListener('click', () => {
  const from = fromSelect.value;
  fromSelect.value = toSelect.value;
  toSelect.value = from;
  convert();
});
[valueInput, fromSelect, toSelect].forEach(el => el.addEventListener('input', convert));
fillUnits();
convert();
