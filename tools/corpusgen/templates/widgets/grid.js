const items = {{items}};
const grid = document.getElementById('grid');
const lightbox = document.getElementById('lightbox');

function applyFilter(tag) {
  let shown = 0;
  grid.querySelectorAll('.thumb').forEach(thumb => {
    const hide = tag !== 'all' && thumb.dataset.tag !== tag;
    thumb.classList.toggle('hidden', hide);
    if (!hide) shown += 1;
  });
  document.getElementById('shown').textContent = 'Showing ' + shown + ' of ' + items.length;
  document.querySelectorAll('.filter').forEach(b => b.classList.toggle('active', b.dataset.tag === tag));
}

function openItem(item) {
  document.getElementById('big').style.background = item.background;
  document.getElementById('lightbox-caption').textContent = item.caption + ' · ' + item.tag;
  lightbox.hidden = false;
}

items.forEach(item => {
  const thumb = document.createElement('button');
  thumb.className = 'thumb';
  thumb.dataset.tag = item.tag;
  thumb.style.background = item.background;
  thumb.setAttribute('aria-label', item.caption);
  thumb.addEventListener('click', () => openItem(item));
  grid.append(thumb);
});
document.querySelectorAll('.filter').forEach(b => b.addEventListener('click', () => applyFilter(b.dataset.tag)));
document.getElementById('close').addEventListener('click', () => { lightbox.hidden = true; });
lightbox.addEventListener('click', () => { lightbox.hidden = true; });
document.addEventListener('keydown', event => { if (event.key === 'Escape') lightbox.hidden = true; });
applyFilter('all');
