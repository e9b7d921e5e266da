import { useEffect, useState } from 'preact/hooks';
import type { Call } from '../lib/call.js';

/** Re-renders the component whenever the call changes. */
export function useCall(call: Call): void {
  const [, setVersion] = useState(0);
  useEffect(() => call.subscribe(() => setVersion((n) => n + 1)), [call]);
}
