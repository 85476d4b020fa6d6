const timeEl = document.getElementById('time');
const toggle = document.getElementById('toggle');
const note = document.getElementById('note');
let startedAt = 0, elapsed = 0, ticker = null, lastLap = 0;
const laps = [];

function format(ms) {
  const minutes = Math.floor(ms / 60000), seconds = Math.floor(ms / 1000) % 60;
  const text = String(minutes).padStart(2, '0') + ':' + String(seconds).padStart(2, '0');
  return {{centis}} ? text + '.' + String(Math.floor(ms / 10) % 100).padStart(2, '0') : text;
}

function now() { return ticker ? elapsed + performance.now() - startedAt : elapsed; }

toggle.addEventListener('click', () => {
  if (ticker) {
    elapsed = now(); clearInterval(ticker); ticker = null;
    toggle.textContent = 'Start'; note.textContent = 'Stopped at ' + format(elapsed);
  } else {
    startedAt = performance.now();
    ticker = setInterval(() => { timeEl.textContent = format(now()); }, 31);
    toggle.textContent = 'Stop'; note.textContent = 'Running';
  }
});

document.getElementById('lap').addEventListener('click', () => {
  if (!ticker) { note.textContent = 'Start the stopwatch to record laps.'; return; }
  const total = now();
  laps.push(total - lastLap);
  lastLap = total;
  const row = document.createElement('tr');
  [laps.length, format(laps[laps.length - 1]), format(total)].forEach(value => {
    const cell = document.createElement('td');
    cell.textContent = value;
    row.append(cell);
  });
  document.getElementById('laps').prepend(row);
  document.getElementById('lap-count').textContent = laps.length;
  const rows = Array.from(document.querySelectorAll('#laps tr')).reverse();
  const best = Math.min(...laps), worst = Math.max(...laps);
  rows.forEach((r, i) => {
    r.classList.toggle('best', laps.length > 1 && laps[i] === best);
    r.classList.toggle('worst', laps.length > 1 && laps[i] === worst);
  });
});

document.getElementById('reset').addEventListener('click', () => {
  clearInterval(ticker); ticker = null; elapsed = 0; lastLap = 0; laps.length = 0;
  timeEl.textContent = {{zero}}; toggle.textContent = 'Start';
  document.getElementById('laps').innerHTML = '';
  document.getElementById('lap-count').textContent = '0';
  note.textContent = 'Reset. Press Start to begin.';
});
