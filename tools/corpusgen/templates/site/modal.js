const variant = {{variant}};
const overlay = document.getElementById('overlay');
const statusLine = document.getElementById('status');
let target = null;

function openModal(button) {
  target = button;
  if (variant === 'delete') {
    document.getElementById('modal-title').textContent = 'Delete ' + button.dataset.name + '?';
  } else {
    document.getElementById('modal-text').textContent = 'One email a week, unsubscribe anytime.';
  }
  overlay.hidden = false;
  document.getElementById('confirm').focus();
}

function closeModal(message) {
  overlay.hidden = true;
  statusLine.textContent = message;
  if (target) target.focus();
}

function confirmAction() {
  if (variant === 'delete') {
    target.closest('li').remove();
    closeModal('Deleted ' + target.dataset.name + '.');
    return;
  }
  const email = document.getElementById('modal-email').value.trim();
  if (!/^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i.test(email)) {
    document.getElementById('modal-text').textContent = 'Please enter a valid email.';
    return;
  }
  closeModal('Subscribed ' + email + ' to ' + target.dataset.name + '.');
}

document.querySelectorAll('.open-modal').forEach(button => button.addEventListener('click', () => openModal(button)));
document.getElementById('confirm').addEventListener('click', confirmAction);
document.getElementById('cancel').addEventListener('click', () => {
  closeModal(variant === 'delete' ? 'Kept ' + target.dataset.name + '.' : 'Maybe later!');
});
overlay.addEventListener('click', event => { if (event.target === overlay) closeModal('Dialog dismissed.'); });
document.addEventListener('keydown', event => {
  if (event.key === 'Escape' && !overlay.hidden) closeModal('Dialog dismissed.');
});
