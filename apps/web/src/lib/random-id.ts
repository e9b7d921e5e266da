/**
 * A random id for the page's own bookkeeping (chat messages, this tab, a player). `crypto.randomUUID()`
 * exists only on secure pages, and the app also runs over plain HTTP on a LAN (where it explains why calls
 * cannot work, but chat and files still do); `crypto.getRandomValues()` works everywhere.
 */
export function randomId(bytes = 16): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
