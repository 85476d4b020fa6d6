const channels = ['r', 'g', 'b'].map(id => document.getElementById(id));
const hexOut = document.getElementById('hex');
const hexInput = document.getElementById('hex-input');
const hint = document.getElementById('hint');

function toHex(values) {
  const text = '#' + values.map(v => Number(v).toString(16).padStart(2, '0')).join('');
  return {{upper}} ? text.toUpperCase() : text;
}

function luminance(values) {
  const [r, g, b] = values.map(v => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function update() {
  const values = channels.map(input => +input.value);
  channels.forEach(input => { document.getElementById(input.id + '-out').textContent = input.value; });
  const hex = toHex(values);
  hexOut.textContent = hex;
  document.getElementById('swatch').style.background = hex;
  if ({{contrast}}) {
    const ratio = 1.05 / (luminance(values) + 0.05);
    document.getElementById('contrast').textContent = 'contrast on white ' + ratio.toFixed(2) + ':1';
  }
}

function setHex(hex) {
  [1, 3, 5].forEach((at, i) => { channels[i].value = parseInt(hex.slice(at, at + 2), 16); });
  update();
}

channels.forEach(input => input.addEventListener('input', update));
hexInput.addEventListener('input', () => {
  const text = hexInput.value.trim();
  const ok = /^#[0-9a-f]{6}$/i.test(text);
  hint.textContent = ok ? 'Loaded ' + text : 'Hex codes look like #336699.';
  if (ok) setHex(text);
});
document.querySelectorAll('.chip').forEach(chip => chip.addEventListener('click', () => setHex(chip.dataset.hex)));
document.getElementById('save').addEventListener('click', () => {
  const item = document.createElement('li');
  item.textContent = hexOut.textContent;
  item.style.background = hexOut.textContent;
  document.getElementById('saved').append(item);
  hint.textContent = 'Saved ' + hexOut.textContent + '.';
});
update();
