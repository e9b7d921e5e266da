/** Files: pick or drop files for everyone or one person; progress, rate and ETA both ways; save when verified. */
import { useState } from 'preact/hooks';
import type { Call } from '../lib/call.js';
import type { Transfer } from '../lib/files.js';
import { bytes, duration } from '../lib/format.js';

export function FilesPanel({ call }: { call: Call }) {
  const [to, setTo] = useState('');
  const peers = [...call.peers.values()];
  const pick = (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const files = [...(input.files ?? [])];
    if (files.length) call.sendFiles(files, to || undefined);
    input.value = '';
  };
  return (
    <div class="files">
      <div class="drop-hint">
        <label class="field">
          <span>Send to</span>
          <select value={to} onChange={(e) => setTo(e.currentTarget.value)} data-testid="file-target">
            <option value="">Everyone</option>
            {peers.map((rp) => (
              <option key={rp.id} value={rp.id}>
                {rp.name}
              </option>
            ))}
          </select>
        </label>
        <label class="button primary file-pick">
          Choose files…
          <input
            type="file"
            multiple
            class="sr-only"
            onChange={pick}
            data-testid="file-input"
            disabled={peers.length === 0}
          />
        </label>
        <p class="muted small">…or drop files anywhere on the call.</p>
      </div>
      <ul class="transfers" aria-label="Transfers">
        {call.files.list.map((t) => (
          <TransferRow key={t.id} t={t} onCancel={() => call.cancelTransfer(t.id)} />
        ))}
      </ul>
    </div>
  );
}

const STATUS: Record<Transfer['status'], string> = {
  hashing: 'Computing SHA-256…',
  queued: 'Waiting',
  sending: 'Sending',
  confirming: 'Sent; the receiver is checking it',
  receiving: 'Receiving',
  verifying: 'Checking SHA-256…',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

function TransferRow({ t, onCancel }: { t: Transfer; onCancel: () => void }) {
  const moving = t.status === 'sending' || t.status === 'receiving';
  const over = t.status === 'done' || t.status === 'failed' || t.status === 'cancelled';
  const done =
    t.status === 'done'
      ? t.direction === 'send'
        ? `Delivered to ${t.peerName}, SHA-256 verified`
        : 'SHA-256 verified'
      : STATUS[t.status];
  return (
    <li
      class={`transfer ${t.status}`}
      data-testid="transfer"
      data-direction={t.direction}
      data-status={t.status}
      data-sha256={t.sha256}
    >
      <div class="row spread">
        <strong class="file-name" title={t.name}>
          {t.direction === 'send' ? '↑' : '↓'} {t.name}
        </strong>
        <span class="muted small">{bytes(t.size)}</span>
      </div>
      <div class="muted small">
        {t.direction === 'send' ? `to ${t.peerName}` : `from ${t.peerName}`} · {done}
        {t.error ? `: ${t.error}` : ''}
      </div>
      <progress max={t.size || 1} value={t.bytes} aria-label={`${t.name} progress`} />
      <div class="row spread small">
        <span>
          {bytes(t.bytes)} of {bytes(t.size)}
          {moving && ` · ${bytes(Math.round(t.rate))}/s · ${duration(t.etaSeconds)} left`}
        </span>
        {t.url && t.status === 'done' && (
          <a class="button" href={t.url} download={t.name} data-testid="save">
            Save
          </a>
        )}
        {!over && (
          <button type="button" class="link" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </li>
  );
}
