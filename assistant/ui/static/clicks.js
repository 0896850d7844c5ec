() => {
  // One listener for the HTML the server renders (it carries data-* attributes, never code): an [n] or
  // "Read article" opens that source in the reader (its Close, or Escape, closes it), an example question is
  // asked, a thumb rates that answer, "Cite" downloads its references, and a range of chart bars fills a date
  // filter.
  // Each fills hidden inputs and presses a hidden button, so the server side is an ordinary named event.
  const box = (id) => document.querySelector(`#${id} textarea, #${id} input`);
  const fill = (id, value) => {
    const el = box(id);
    if (!el) return;
    el.value = value;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  };
  const press = (id, values) => {
    Object.entries(values).forEach(([k, v]) => fill(k, v));
    setTimeout(() => document.querySelector(`#${id}`)?.click(), 0);
  };
  document.addEventListener('click', (e) => {
    const open = e.target.closest('[data-turn][data-n]');
    if (open) {
      e.preventDefault();
      if (open.closest('#chat')) document.body.dataset.opener = `${open.dataset.turn}:${open.dataset.n}`;
      press('open-go', { 'open-turn': open.dataset.turn, 'open-n': open.dataset.n });
      return;
    }
    const example = e.target.closest('[data-ask]');
    if (example) {
      fill('question', example.dataset.ask);
      setTimeout(() => document.querySelector('#ask')?.click(), 0);
      return;
    }
    const cite = e.target.closest('[data-cite]');
    if (cite) {
      press('cite-go', { 'cite-turn': cite.dataset.turn });
      return;
    }
    const rate = e.target.closest('[data-rate]');
    if (rate) {
      rate.closest('.turn-tools')?.querySelectorAll('.rate').forEach((b) => b.classList.remove('rated'));
      rate.classList.add('rated');
      press('rate-go', { 'rate-turn': rate.dataset.turn, 'rate-value': rate.dataset.rate });
    }
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') document.querySelector('#article .close-reader')?.click();
  });
  let start = null;  // the bar a drag began on
  document.addEventListener('mousedown', (e) => {
    start = e.target.closest('svg.chart .bar');
    if (start) e.preventDefault();
  });
  document.addEventListener('mouseup', (e) => {
    const end = e.target.closest('svg.chart .bar');
    if (!start || !end || start.closest('svg') !== end.closest('svg')) { start = null; return; }
    const bars = [...end.closest('svg').querySelectorAll('.bar')];
    const [a, b] = [bars.indexOf(start), bars.indexOf(end)].sort((x, y) => x - y);
    bars.forEach((bar, i) => bar.classList.toggle('picked', i >= a && i <= b));
    const which = end.closest('figure').dataset.boxes;
    fill(`${which}-since`, bars[a].dataset.since);
    fill(`${which}-until`, bars[b].dataset.until);
    start = null;
  });
}
