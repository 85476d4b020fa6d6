const form = document.getElementById('form');
const statusLine = document.getElementById('status');
const rules = {{rules}};
const liveCheck = {{live}};

function validate(rule) {
  const el = document.getElementById(rule.id);
  const value = el.type === 'checkbox' ? el.checked : el.value.trim();
  let ok = Boolean(value);
  if (rule.kind === 'min') ok = value.length >= rule.arg;
  if (rule.kind === 'pattern') ok = new RegExp(rule.arg, 'i').test(value);
  if (rule.kind === 'range') ok = /^\d+$/.test(value) && +value >= rule.arg[0] && +value <= rule.arg[1];
  document.getElementById(rule.id + '-error').textContent = ok ? '' : rule.msg;
  el.classList.toggle('invalid', !ok);
  return ok;
}

form.addEventListener('submit', event => {
  event.preventDefault();
  const failed = rules.filter(rule => !validate(rule)).length;
  // A second failed attempt gets a different wording, so the user sees that the click registered.
  const again = failed && statusLine.textContent.startsWith('Please');
  const fields = failed + (failed > 1 ? ' fields' : ' field');
  const retry = again ? 'Still ' + fields + ' to fix.' : 'Please fix ' + fields + '.';
  statusLine.textContent = failed ? retry : {{success}};
  statusLine.style.color = failed ? '#b91c1c' : '#15803d';
});

rules.forEach(rule => {
  const el = document.getElementById(rule.id);
  el.addEventListener(el.type === 'checkbox' ? 'change' : 'input', () => {
    if (liveCheck || el.classList.contains('invalid')) validate(rule);
  });
});
