const questions = {{questions}};
const options = Array.from(document.querySelectorAll('.option'));
const verdict = document.getElementById('verdict');
let index = 0, picked = null, checked = false, score = 0;

function showQuestion() {
  const q = questions[index];
  document.getElementById('progress').textContent = 'Question ' + (index + 1) + ' of ' + questions.length;
  document.getElementById('question').textContent = q.q;
  options.forEach((button, i) => { button.textContent = q.options[i]; button.className = 'option'; });
  picked = null; checked = false;
  verdict.textContent = '';
}

options.forEach((button, i) => button.addEventListener('click', () => {
  if (checked) { verdict.textContent = 'Already checked. Press Next.'; return; }
  picked = i;
  options.forEach(b => b.classList.toggle('picked', b === button));
}));

document.getElementById('check').addEventListener('click', () => {
  if (picked === null) { verdict.textContent = 'Pick an answer first.'; return; }
  if (checked) return;
  checked = true;
  const q = questions[index];
  options[q.answer].classList.add('right');
  if (picked === q.answer) { score += 1; verdict.textContent = 'Correct!'; }
  else { options[picked].classList.add('wrong'); verdict.textContent = 'Not quite: ' + q.options[q.answer] + '.'; }
  document.getElementById('score').textContent = score;
});

document.getElementById('next').addEventListener('click', () => {
  if (index + 1 < questions.length) { index += 1; showQuestion(); return; }
  verdict.textContent = 'Finished! You scored ' + score + ' of ' + questions.length + '. Starting over.';
  index = 0; score = 0;
  document.getElementById('score').textContent = '0';
  showQuestion();
  verdict.textContent = 'New round. Good luck!';
});

showQuestion();
