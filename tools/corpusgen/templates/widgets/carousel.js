const slides = {{slides}};
let current = {{start}};
const dots = Array.from(document.querySelectorAll('.dot'));

function show(i) {
  current = (i + slides.length) % slides.length;
  document.getElementById('slide').style.background = slides[current].background;
  document.getElementById('caption').textContent = slides[current].caption;
  document.getElementById('counter').textContent = (current + 1) + ' / ' + slides.length;
  dots.forEach((dot, j) => dot.classList.toggle('active', j === current));
}

document.getElementById('prev').addEventListener('click', () => show(current - 1));
document.getElementById('next').addEventListener('click', () => show(current + 1));
dots.forEach((dot, i) => dot.addEventListener('click', () => show(i)));
document.addEventListener('keydown', event => {
  if (event.key === 'ArrowLeft') show(current - 1);
  if (event.key === 'ArrowRight') show(current + 1);
});
if ({{autoplay}}) setInterval(() => { if (!document.hidden) show(current + 1); }, 6000);
show(current);
