/**
 * Files: pick or drop files for everyone or one person; hashing progress, then progress, rate and ETA both
 * ways; save (or dismiss) when verified. Alone in the room, picking is off and the panel says why.
 */
import { useRef, useState } from 'preact/hooks';
import type { Call } from '../lib/call.js';
import type { Transfer } from '../lib/files.js';
import { bytes, duration } from '../lib/format.js';

export function FilesPanel({ call, onInvite }: { call: Call; onInvite: () => void }) {
  const [to, setTo] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const peers = [...call.peers.values()];
  const alone = peers.length === 0;
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
          <select
            value={to}
            disabled={alone}
            onChange={(e) => setTo(e.currentTarget.value)}
            data-testid="file-target"
          >
            <option value="">Everyone</option>
            {peers.map((rp) => (
              <option key={rp.id} value={rp.id}>
                {rp.name}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          class="primary file-pick"
          disabled={alone}
          aria-describedby={alone ? 'files-alone' : undefined}
          onClick={() => input.current?.click()}
          data-testid="file-pick"
        >
          Choose files…
        </button>
        <input
          ref={input}
          type="file"
          multiple
          class="sr-only"
          tabIndex={-1}
          aria-hidden="true"
          onChange={pick}
          data-testid="file-input"
          disabled={alone}
        />
        {alone ? (
          <p class="files-alone small" id="files-alone" data-testid="files-alone">
            Nobody else is in the room yet. Files go straight to the people in the call, so there is nobody to
            send to.{' '}
            <button type="button" class="link inline" onClick={onInvite}>
              Invite someone
            </button>
          </p>
        ) : (
          <p class="muted small">…or drop files anywhere on the call.</p>
        )}
      </div>
      <ul class="transfers" aria-label="Transfers">
        {call.files.list.map((t) => (
          <TransferRow
            key={t.id}
            t={t}
            onCancel={() => call.cancelTransfer(t.id)}
            onSettle={() => call.files.settle(t.id)}
          />
        ))}
      </ul>
    </div>
  );
}

const STATUS: Record<Transfer['status'], string> = {
  hashing: 'Computing SHA-256 before sending',
  preparing: 'Coming soon: the sender is computing its SHA-256',
  queued: 'Waiting',
  sending: 'Sending',
  confirming: 'Sent; the receiver is checking it',
  receiving: 'Receiving',
  verifying: 'Checking SHA-256…',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

function TransferRow({ t, onCancel, onSettle }: { t: Transfer; onCancel: () => void; onSettle: () => void }) {
  const moving = t.status === 'sending' || t.status === 'receiving';
  const hashing = t.status === 'hashing';
  // The receiver cannot see the sender's hashing, nor its own check's progress: an indeterminate bar.
  const busy = t.status === 'preparing' || t.status === 'verifying';
  const over = t.status === 'done' || t.status === 'failed' || t.status === 'cancelled';
  const done =
    t.status === 'done'
      ? t.direction === 'send'
        ? `Delivered to ${t.peerName}, SHA-256 verified`
        : t.waiting
          ? 'SHA-256 verified, ready to save'
          : 'SHA-256 verified'
      : STATUS[t.status];
  return (
    <li
      class={`transfer ${t.status}`}
      data-testid="transfer"
      data-direction={t.direction}
      data-status={t.status}
      data-sha256={t.sha256}
      data-hashed={t.direction === 'send' ? t.hashed : undefined}
      data-waiting={t.waiting ? 'true' : undefined}
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
      {busy ? (
        <progress aria-label={`${t.name}: ${STATUS[t.status]}`} />
      ) : hashing ? (
        <progress
          class="hashing"
          max={t.size || 1}
          value={t.hashed}
          aria-label={`${t.name}: SHA-256 progress`}
          data-testid="hash-progress"
        />
      ) : (
        <progress max={t.size || 1} value={t.bytes} aria-label={`${t.name} progress`} />
      )}
      <div class="row spread small">
        <span>
          {hashing
            ? `${bytes(t.hashed)} of ${bytes(t.size)} hashed · ${duration(t.etaSeconds)} left`
            : t.status === 'preparing'
              ? 'Nothing to receive yet'
              : `${bytes(t.bytes)} of ${bytes(t.size)}`}
          {moving && ` · ${bytes(Math.round(t.rate))}/s · ${duration(t.etaSeconds)} left`}
        </span>
        {t.url && t.status === 'done' && (
          <span class="row">
            {t.waiting && (
              <button type="button" class="link" onClick={onSettle} data-testid="dismiss">
                Dismiss
              </button>
            )}
            <a class="button" href={t.url} download={t.name} onClick={onSettle} data-testid="save">
              Save
            </a>
          </span>
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
