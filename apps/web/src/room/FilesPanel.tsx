/**
 * Files: pick files or a folder (or drop them anywhere on the call) for everyone or one person; each
 * offer made to us asks first (who offers what: accept into staging, into a picked folder, some files
 * only, or decline); each transfer's progress, rate and ETA, pause, resume and cancel; save (or dismiss)
 * each received file once verified. Alone in the room, picking is off and the panel says why; a browser that cannot stage received
 * files says what that limits.
 */
import { fileListSource } from '@parley/client/files/browser';
import { useRef, useState } from 'preact/hooks';
import type { Call } from '../lib/call.js';
import { bytes, duration } from '../lib/format.js';
import { type FileShare, isOver, MAX_WAITING, type Transfer, type WaitingOffer } from '../lib/transfers.js';

export function FilesPanel({ call, onInvite }: { call: Call; onInvite: () => void }) {
  const [to, setTo] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const folder = useRef<HTMLInputElement>(null);
  const peers = [...call.peers.values()];
  const alone = peers.length === 0;
  const pick = (e: Event) => {
    const el = e.currentTarget as HTMLInputElement;
    const files = fileListSource(el.files ?? []);
    if (files.length) call.sendFiles(files, to || undefined);
    el.value = '';
  };
  const caps = call.files.caps;
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
        <div class="file-pick-row">
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
          <button
            type="button"
            disabled={alone}
            aria-describedby={alone ? 'files-alone' : undefined}
            onClick={() => folder.current?.click()}
            data-testid="folder-pick"
          >
            Folder…
          </button>
        </div>
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
        <input
          ref={folder}
          type="file"
          {...{ webkitdirectory: true }}
          class="sr-only"
          tabIndex={-1}
          aria-hidden="true"
          onChange={pick}
          data-testid="folder-input"
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
          <p class="muted small">…or drop files or a folder anywhere on the call.</p>
        )}
        {caps.download && (
          <p class="files-limit muted small" data-testid="files-limit">
            This browser cannot keep partial files here, so received files go straight to your downloads as
            they arrive; a transfer cut by a reload starts again.
          </p>
        )}
        {caps.memoryOnly && (
          <p class="files-limit notice small" data-testid="files-limit">
            This page can neither keep received files on disk (no Origin Private File System, as in some
            private windows) nor stream them to your downloads (no service worker without HTTPS): it holds
            them in memory, at most 512 MiB per transfer, and cannot resume after a reload.
          </p>
        )}
      </div>
      <OfferPrompts files={call.files} />
      <ul class="transfers" aria-label="Transfers">
        {call.files.list.map((t) => (
          <TransferRow key={t.id} t={t} files={call.files} />
        ))}
      </ul>
    </div>
  );
}

const STATUS: Record<Transfer['status'], string> = {
  offered: 'Offered, waiting for an answer',
  running: '',
  paused: 'Paused',
  resuming: 'Resuming',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
  declined: 'Declined',
};

/** Files listed in an offer before "and N more". */
const SHOWN = 5;

/** The offers waiting for an answer, and a note of those declined without asking. */
export function OfferPrompts({ files }: { files: FileShare }) {
  return (
    <>
      {files.offers.map((w) => (
        <OfferPrompt key={w.id} w={w} files={files} />
      ))}
      {[...files.autoDeclined].map(([id, d]) => (
        <p key={id} class="notice small offer-flood" role="status" data-testid="offers-auto-declined">
          {d.count === 1 ? 'Another offer' : `${d.count} more offers`} from {d.name}{' '}
          {d.count === 1 ? 'was' : 'were'} declined without asking: at most {MAX_WAITING} offers from one
          person wait for an answer.
        </p>
      ))}
    </>
  );
}

function OfferPrompt({ w, files }: { w: WaitingOffer; files: FileShare }) {
  const [open, setOpen] = useState(false);
  const [chosen, setChosen] = useState<ReadonlySet<number>>(() => new Set(w.files.map((_, i) => i)));
  const many = w.files.length > 1;
  const all = chosen.size === w.files.length;
  const picked = all ? undefined : [...chosen].sort((a, b) => a - b);
  const shown = open ? w.files : w.files.slice(0, SHOWN);
  const size = all ? w.total : [...chosen].reduce((n, i) => n + (w.files[i]?.size ?? 0), 0);
  const what = many ? `${w.files.length} files` : (w.files[0]?.path ?? '');
  const toggle = (i: number) => {
    const next = new Set(chosen);
    if (!next.delete(i)) next.add(i);
    setChosen(next);
  };
  return (
    <section
      class="offer"
      aria-label={`${w.peerName} offers ${what}`}
      data-testid="offer"
      data-peer={w.peerName}
    >
      <p class="offer-head">
        <strong>{w.peerName}</strong> offers {many ? `${w.files.length} files` : 'a file'}, {bytes(w.total)}
        {many ? ' in all' : ''}:
      </p>
      <ul class="offer-files">
        {shown.map((f, i) => (
          <li key={f.key + String(i)} data-testid="offer-file" data-path={f.path}>
            {many ? (
              <label class="row offer-file">
                <input type="checkbox" checked={chosen.has(i)} onChange={() => toggle(i)} />
                <span class="file-name grow" title={f.path}>
                  {f.path}
                </span>
                <span class="muted small">{bytes(f.size)}</span>
              </label>
            ) : (
              <span class="row offer-file">
                <span class="file-name grow" title={f.path}>
                  {f.path}
                </span>
                <span class="muted small">{bytes(f.size)}</span>
              </span>
            )}
          </li>
        ))}
      </ul>
      {w.files.length > SHOWN && (
        <button type="button" class="link" onClick={() => setOpen(!open)} data-testid="offer-more">
          {open ? 'Show fewer' : `and ${w.files.length - SHOWN} more`}
        </button>
      )}
      {!all && (
        <p class="muted small" data-testid="offer-chosen">
          {chosen.size} of {w.files.length} chosen, {bytes(size)}
        </p>
      )}
      <div class="row wrap offer-actions">
        <button
          type="button"
          class="primary"
          disabled={chosen.size === 0}
          onClick={() => void files.accept(w.id, 'staging', picked)}
          data-testid="offer-accept"
        >
          Accept
        </button>
        {files.caps.folder && (
          <button
            type="button"
            disabled={chosen.size === 0}
            onClick={() => void files.accept(w.id, 'folder', picked)}
            data-testid="offer-folder"
          >
            Save into folder…
          </button>
        )}
        <button type="button" onClick={() => files.decline(w.id)} data-testid="offer-decline">
          Decline
        </button>
      </div>
      <p class="muted small offer-where">
        {files.caps.staging
          ? 'Accepted files are kept in this browser, checked (SHA-256) and offered for saving once complete; a reload resumes them.'
          : files.caps.download
            ? 'Accepted files go to your downloads as they arrive, checked (SHA-256).'
            : 'Accepted files are held in memory (at most 512 MiB) and offered for saving once checked (SHA-256).'}
      </p>
    </section>
  );
}

export function TransferRow({ t, files }: { t: Transfer; files: FileShare }) {
  const send = t.direction === 'send';
  const over = isOver(t);
  const status =
    t.status === 'done'
      ? send
        ? `Delivered to ${t.peerName}, SHA-256 verified`
        : 'SHA-256 verified'
      : t.status === 'declined' && send
        ? `Declined by ${t.peerName}: nothing was sent`
        : t.status === 'running'
          ? send
            ? 'Sending'
            : 'Receiving'
          : STATUS[t.status];
  const waiting = t.files.filter((f) => f.waiting);
  return (
    <li
      class={`transfer ${t.status}`}
      data-testid="transfer"
      data-direction={t.direction}
      data-status={t.status}
      data-code={t.code}
      data-bytes={t.bytes}
      data-resent={t.resent}
      data-resumed={t.resumed}
      data-waiting={waiting.length ? 'true' : undefined}
    >
      <div class="row spread">
        <strong class="file-name" title={t.name}>
          {send ? '↑' : '↓'} {t.name}
        </strong>
        <span class="muted small">{bytes(t.size)}</span>
      </div>
      <div class="muted small">
        {send ? `to ${t.peerName}` : `from ${t.peerName}`} · {status}
        {t.error ? `: ${t.error}` : ''}
        {t.resumed > 0 && ` · resumed at ${bytes(t.resumed)}`}
      </div>
      {t.status !== 'declined' && (
        <progress max={t.size || 1} value={t.bytes} aria-label={`${t.name} progress`} />
      )}
      <div class="row spread small">
        <span data-testid="transfer-progress">
          {bytes(t.bytes)} of {bytes(t.size)}
          {t.status === 'running' &&
            ` · ${bytes(Math.round(t.rate))}/s · ${duration(t.etaSeconds ?? Number.POSITIVE_INFINITY)} left`}
        </span>
        {!over && (
          <span class="row">
            {t.status === 'running' && (
              <button type="button" class="link" onClick={() => files.pause(t.id)} data-testid="pause">
                Pause
              </button>
            )}
            {t.status === 'paused' && (
              <button type="button" class="link" onClick={() => files.resume(t.id)} data-testid="resume">
                Resume
              </button>
            )}
            <button type="button" class="link" onClick={() => files.cancel(t.id)} data-testid="cancel">
              Cancel
            </button>
          </span>
        )}
      </div>
      {!send && t.files.some((f) => f.inFolder) && (
        <p class="muted small" data-testid="in-folder">
          Saved into the folder you picked as it arrived, SHA-256 verified.
        </p>
      )}
      {!send && t.files.some((f) => f.downloaded) && (
        <p class="muted small" data-testid="downloaded">
          Saved to your downloads as it arrived, SHA-256 verified.
        </p>
      )}
      {!send && t.files.some((f) => f.url) && (
        <ul class="received" aria-label={`Files from ${t.peerName}`}>
          {t.files.map(
            (f) =>
              f.url && (
                <li
                  key={f.path}
                  data-testid="received-file"
                  data-path={f.path}
                  data-sha256={f.sha256}
                  data-waiting={f.waiting ? 'true' : undefined}
                >
                  <span class="file-name small" title={f.path}>
                    {f.path}
                  </span>
                  <span class="row actions">
                    {f.waiting && (
                      <button
                        type="button"
                        class="link"
                        onClick={() => files.settle(t.id, f.path, false)}
                        data-testid="dismiss"
                      >
                        Dismiss
                      </button>
                    )}
                    {files.caps.saveAs && (
                      <button type="button" class="link" onClick={() => void files.saveAs(t.id, f.path)}>
                        Save as…
                      </button>
                    )}
                    <a
                      class="button"
                      href={f.url}
                      download={f.path.split('/').pop()}
                      onClick={() => files.settle(t.id, f.path, true)}
                      data-testid="save"
                    >
                      Save
                    </a>
                  </span>
                </li>
              ),
          )}
        </ul>
      )}
      {!send && files.caps.folder && t.files.length > 1 && waiting.length > 0 && (
        <button type="button" onClick={() => void files.saveAllToFolder(t.id)} data-testid="save-folder">
          Save all to a folder…
        </button>
      )}
    </li>
  );
}
