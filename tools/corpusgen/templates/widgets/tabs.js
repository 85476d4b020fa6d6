const tabs = Array.from(document.querySelectorAll('[role="tab"]'));

function select(i) {
  tabs.forEach((tab, j) => {
    tab.setAttribute('aria-selected', String(j === i));
    document.getElementById('panel-' + j).hidden = j !== i;
  });
}

tabs.forEach((tab, i) => {
  tab.addEventListener('click', () => select(i));
  tab.addEventListener('keydown', event => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (step) { const next = (i + step + tabs.length) % tabs.length; select(next); tabs[next].focus(); }
  });
});

function setOpen(item, open) {
  item.classList.toggle('open', open);
  item.querySelector('.faq-a').hidden = !open;
  item.querySelector('.faq-q').setAttribute('aria-expanded', String(open));
  item.querySelector('.sign').textContent = open ? '−' : '+';
}

const items = Array.from(document.querySelectorAll('.faq-item'));
items.forEach(item => {
  item.querySelector('.faq-q').addEventListener('click', () => setOpen(item, !item.classList.contains('open')));
});
const expand = document.getElementById('expand');
if (expand) expand.addEventListener('click', () => {
  const open = expand.textContent === 'Expand all';
  items.forEach(item => setOpen(item, open));
  expand.textContent = open ? 'Collapse all' : 'Expand all';
});
if (tabs.length) select({{start}});
