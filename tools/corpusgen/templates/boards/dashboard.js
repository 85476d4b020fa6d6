const data = {{data}};
let range = {{start}}, kind = {{kind}};
const canvas = document.getElementById('chart');
const ctx = canvas.getContext('2d');
const pad = { left: 48, right: 16, top: 16, bottom: 32 };

function money(n) {
  return {{prefix}} + String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',') + {{suffix}};
}

function points() {
  const { labels, values } = data[range];
  const max = Math.max(...values) * 1.1;
  const w = (canvas.width - pad.left - pad.right) / labels.length;
  return values.map((v, i) => ({ x: pad.left + w * (i + 0.5), y: canvas.height - pad.bottom -
    (v / max) * (canvas.height - pad.top - pad.bottom), w, v, label: labels[i] }));
}

function draw() {
  const { values } = data[range];
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.font = '12px sans-serif';
  ctx.fillStyle = '{{text}}';
  ctx.strokeStyle = '{{text}}33';
  for (let i = 0; i <= 4; i++) {
    const y = pad.top + (canvas.height - pad.top - pad.bottom) * i / 4;
    ctx.beginPath(); ctx.moveTo(pad.left, y); ctx.lineTo(canvas.width - pad.right, y); ctx.stroke();
    ctx.fillText(money(Math.max(...values) * 1.1 * (4 - i) / 4), 2, y + 4);
  }
  const pts = points();
  pts.forEach(p => ctx.fillText(p.label, p.x - ctx.measureText(p.label).width / 2, canvas.height - 10));
  if (kind === 'bar') {
    pts.forEach((p, i) => {
      ctx.fillStyle = i % 2 ? '{{accent}}' : '{{accent2}}';
      ctx.fillRect(p.x - p.w * 0.35, p.y, p.w * 0.7, canvas.height - pad.bottom - p.y);
    });
  } else {
    ctx.strokeStyle = '{{accent}}'; ctx.lineWidth = 3; ctx.beginPath();
    pts.forEach((p, i) => (i ? ctx.lineTo(p.x, p.y) : ctx.moveTo(p.x, p.y)));
    ctx.stroke(); ctx.lineWidth = 1;
    ctx.fillStyle = '{{accent2}}';
    pts.forEach(p => { ctx.beginPath(); ctx.arc(p.x, p.y, 4, 0, Math.PI * 2); ctx.fill(); });
  }
  const total = values.reduce((a, b) => a + b, 0);
  document.getElementById('kpi-total').textContent = money(total);
  document.getElementById('kpi-avg').textContent = money(total / values.length);
  document.getElementById('kpi-peak').textContent = money(Math.max(...values));
}

document.querySelectorAll('.range').forEach(button => button.addEventListener('click', () => {
  range = button.dataset.range;
  document.querySelectorAll('.range').forEach(b => b.classList.toggle('active', b === button));
  draw();
}));
document.getElementById('chart-type').addEventListener('click', event => {
  event.target.textContent = 'Show as ' + (kind === 'bar' ? 'bars' : 'line');
  kind = kind === 'bar' ? 'line' : 'bar';
  draw();
});
if ({{clickable}}) canvas.addEventListener('click', event => {
  const box = canvas.getBoundingClientRect();
  const x = (event.clientX - box.left) * canvas.width / box.width;
  const nearest = points().reduce((a, b) => (Math.abs(b.x - x) < Math.abs(a.x - x) ? b : a));
  document.getElementById('detail').textContent = nearest.label + ': ' + money(nearest.v);
});
draw();
