const ops = {{ops}};
const display = document.getElementById('display');
const exprLine = document.getElementById('expr');
const historyList = document.getElementById('history');
let current = '0', stored = null, pending = null, fresh = false;

function apply(a, op, b) {
  if (op === '+') return a + b;
  if (op === '-') return a - b;
  if (op === '*') return a * b;
  return b === 0 ? NaN : a / b;
}

function show() {
  display.textContent = current;
  exprLine.textContent = pending ? stored + ' ' + pending + ' ' + (fresh ? '' : current) : '\u00a0';
}

function press(key) {
  if (/[0-9]/.test(key)) { current = fresh || current === '0' ? key : current + key; fresh = false; }
  else if (key === '.') { if (fresh) { current = '0'; fresh = false; } if (!current.includes('.')) current += '.'; }
  else if (key in ops) {
    if (pending && !fresh) current = String(apply(+stored, ops[pending], +current));
    stored = current; pending = key; fresh = true;
  } else if (key === '=' && pending) {
    const result = apply(+stored, ops[pending], +current);
    const text = Number.isFinite(result) ? String(+result.toFixed(10)) : 'Error';
    if ({{history}}) {
      const item = document.createElement('li');
      item.textContent = stored + ' ' + pending + ' ' + current + ' = ' + text;
      historyList.prepend(item);
    }
    current = text === 'Error' ? '0' : text; pending = null; fresh = true;
    if (text === 'Error') { display.textContent = 'Error'; exprLine.textContent = 'Cannot divide by zero'; return; }
  } else if (key === '=') { exprLine.textContent = current + ' ='; fresh = true; return; }
  else if (key === 'C') { current = '0'; stored = null; pending = null; }
  else if (key === '⌫') current = current.length > 1 ? current.slice(0, -1) : '0';
  else if (key === '±') current = current.startsWith('-') ? current.slice(1) : '-' + current;
  else if (key === '%') current = String(+current / 100);
  show();
}

document.querySelectorAll('.key').forEach(button => {
  button.addEventListener('click', () => press(button.dataset.key));
});
document.addEventListener('keydown', event => {
  const map = { '/': '÷', '*': '×', '-': '−', '+': '+', Enter: '=', Escape: 'C', Backspace: '⌫' };
  const key = map[event.key] || event.key;
  if (/^[0-9.]$/.test(key) || key in ops || key === '=' || key === 'C') press(key);
});
