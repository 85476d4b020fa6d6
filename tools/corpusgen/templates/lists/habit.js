const habits = {{habits}};
const tbody = document.getElementById('habits');

function refresh() {
  habits.forEach((habit, h) => {
    document.getElementById('count-' + h).textContent = habit.days.filter(Boolean).length + '/7';
  });
  const total = habits.reduce((sum, habit) => sum + habit.days.filter(Boolean).length, 0);
  document.getElementById('total').textContent = total + ' check-ins';
}

function addRow(habit, h) {
  const row = tbody.insertRow();
  const name = document.createElement('th');
  name.className = 'name';
  name.textContent = habit.name;
  row.append(name);
  habit.days.forEach((on, d) => {
    const button = document.createElement('button');
    button.className = 'day';
    button.dataset.h = h;
    button.dataset.d = d;
    button.textContent = {{mark}};
    button.setAttribute('aria-pressed', String(on));
    button.setAttribute('aria-label', habit.name + ' day ' + (d + 1));
    button.addEventListener('click', () => {
      habit.days[d] = !habit.days[d];
      button.setAttribute('aria-pressed', String(habit.days[d]));
      refresh();
    });
    row.insertCell().append(button);
  });
  const countCell = row.insertCell();
  countCell.id = 'count-' + h;
}

document.getElementById('add').addEventListener('click', () => {
  const input = document.getElementById('new-habit');
  const name = input.value.trim() || 'New habit ' + (habits.length + 1);
  habits.push({ name, days: [false, false, false, false, false, false, false] });
  addRow(habits[habits.length - 1], habits.length - 1);
  input.value = '';
  refresh();
});
habits.forEach(addRow);
refresh();
