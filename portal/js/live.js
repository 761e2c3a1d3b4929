// The polite live region: tells screen-reader users what just happened.
export function announce(text) {
  const live = document.getElementById('live');
  if (!live) return;
  live.textContent = '';
  // A fresh text node after a tick, so the same message is read again.
  setTimeout(() => { live.textContent = text; }, 50);
}
