const modes = {{modes}};
const timeEl = document.getElementById('time');
const startBtn = document.getElementById('start');
const stateEl = document.getElementById('state');
let mode = 0, left = modes[0][1], ticker = null, done = 0;

function format(seconds) {
  return String(Math.floor(seconds / 60)).padStart(2, '0') + ':' + String(seconds % 60).padStart(2, '0');
}

function draw() {
  timeEl.textContent = format(left);
  const share = left / modes[mode][1];
  if ({{ring}}) document.getElementById('arc').style.strokeDashoffset = String(326.7 * (1 - share));
  else document.getElementById('fill').style.width = (share * 100).toFixed(1) + '%';
  if ({{title}}) document.title = format(left) + ' · ' + modes[mode][0];
}

function stop(message) {
  clearInterval(ticker);
  ticker = null;
  startBtn.textContent = 'Start';
  stateEl.textContent = message;
}

function start() {
  if (left === 0) left = modes[mode][1];
  ticker = setInterval(() => {
    left -= 1;
    if (left <= 0) {
      left = 0;
      document.getElementById('done').textContent = ++done;
      stop('Time is up! ' + modes[mode][0] + ' finished.');
    }
    draw();
  }, 1000);
  startBtn.textContent = 'Pause';
  stateEl.textContent = 'Running';
}

function selectMode(i) {
  if (ticker) stop('Switched');
  mode = i;
  left = modes[i][1];
  document.getElementById('mode').textContent = modes[i][0];
  document.querySelectorAll('.mode').forEach((b, j) => b.classList.toggle('active', j === i));
  draw();
  start();
}

startBtn.addEventListener('click', () => { if (ticker) stop('Paused at ' + format(left)); else start(); });
document.getElementById('reset').addEventListener('click', () => {
  stop('Ready');
  left = modes[mode][1];
  draw();
});
document.querySelectorAll('.mode').forEach((b, i) => b.addEventListener('click', () => selectMode(i)));
document.addEventListener('keydown', event => {
  if (event.code === 'Space' && event.target === document.body) { event.preventDefault(); startBtn.click(); }
});
draw();
