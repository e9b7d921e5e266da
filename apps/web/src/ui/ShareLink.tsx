/** The room's shareable link with a copy button and its QR code. */
import { useState } from 'preact/hooks';
import { roomLink } from '../lib/route.js';
import { Qr } from './Qr.js';

export function ShareLink({ room, qr = true }: { room: string; qr?: boolean }) {
  const link = roomLink(room);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div class="share">
      <label class="field">
        <span>Link to this room</span>
        <span class="row">
          <input readOnly value={link} onFocus={(e) => e.currentTarget.select()} data-testid="room-link" />
          <button type="button" onClick={copy}>
            {copied ? 'Copied' : 'Copy'}
          </button>
        </span>
      </label>
      {qr && <Qr text={link} label={`QR code of the link to room ${room}`} />}
    </div>
  );
}
