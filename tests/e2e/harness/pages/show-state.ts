/** Keeps the page's state on screen, so that a failure screenshot shows it. */
import './globals.js';

export function showState(): void {
  const pre = document.body.appendChild(document.createElement('pre'));
  pre.style.font = '11px monospace';
  const render = () => {
    pre.textContent = `${document.title}\n${JSON.stringify(window.e2e?.describe(), null, 1)}`;
  };
  render();
  setInterval(render, 250);
}
