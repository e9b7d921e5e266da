/**
 * `parley send [--server URL] [--code CODE] PATH...`: offers files and folders to whoever joins with the
 * code and proves it knows the code's words (SPAKE2, @parley/client/files' authenticatePeers), over the
 * SDK's transfer engine; exits 0 once a receiver has verified every file, 1 when a peer failed the code
 * check (one guess per code: start again with a new one).
 */
import type { Peer } from '@parley/client';
import {
  authenticatePeers,
  claimCode,
  type OutgoingTransfer,
  roomOf,
  sendFiles,
  transferMetadata,
} from '@parley/client/files';
import { nodeSha256, nodeSource } from '@parley/client/files/node';
import { Command, Option } from 'commander';
import { qr } from './banner.js';
import {
  codeArg,
  DEFAULT_SERVER,
  formatBytes,
  join,
  progressBar,
  releaseNative,
  webUrl,
} from './transfer-ui.js';

interface SendFlags {
  server: string;
  code?: string;
  json?: boolean;
}

export function sendCommand(): Command {
  return new Command('send')
    .description('send files or folders to a `parley receive` (or the web app) that has the code')
    .argument('<paths...>', 'files and folders to send')
    .addOption(
      new Option('-s, --server <url>', 'signaling server').env('PARLEY_SERVER').default(DEFAULT_SERVER),
    )
    .addOption(new Option('-c, --code <code>', 'use this code instead of a new one').argParser(codeArg))
    .option('--json', 'print one JSON line per event instead of progress bars')
    .action((paths: string[], flags: SendFlags) => runSend(paths, flags));
}

async function runSend(paths: string[], flags: SendFlags): Promise<void> {
  const files = await nodeSource(paths);
  const total = files.reduce((n, f) => n + f.size, 0);
  const out = (o: Record<string, unknown>) => console.log(JSON.stringify(o));
  // A fresh code takes a room nobody is in; a given one is used as it is (its receiver may be waiting).
  const metadata = transferMetadata('sender');
  const { code: theCode, room } = flags.code
    ? { code: flags.code, room: await join(flags.server, roomOf(flags.code), metadata) }
    : await claimCode((name) => join(flags.server, name, metadata));
  const link = `${webUrl(flags.server)}#receive=${theCode}`;
  if (flags.json) out({ event: 'ready', code: theCode, link, files: files.length, bytes: total });
  else {
    console.log(`Sending ${files.length} file(s), ${formatBytes(total)}.`);
    console.log(`On the other machine run:  parley receive ${theCode}`);
    console.log(`or open ${link}`);
    for (const line of qr(link)) console.log(`  ${line}`);
    console.log('Waiting for the receiver…');
  }
  const ledger = new Map<string, number>();
  const transfers = new Set<OutgoingTransfer>();
  const finish = async (exitCode: number) => {
    for (const t of transfers) if (t.state === 'running' || t.state === 'offered') t.cancel();
    await room.leave().catch(() => {});
    for (const f of files) await f.close?.().catch(() => {});
    releaseNative();
    process.exit(exitCode);
  };
  const offerTo = (peer: Peer, gate: () => Promise<void>) => {
    const t = sendFiles(peer, files, { ledger, hash: nodeSha256, gate });
    transfers.add(t);
    const bar = progressBar('sending ', total, !!flags.json);
    t.on('progress', (p) => {
      bar(p);
      if (flags.json) out({ event: 'progress', peer: peer.id, bytes: p.bytes, total: p.total, rate: p.rate });
    });
    t.on('done', (s) => {
      if (flags.json) out({ event: 'done', peer: peer.id, ...s });
      else
        console.log(
          `Sent and verified ${s.files.length} file(s), ${formatBytes(s.bytes)} in ${(s.ms / 1000).toFixed(1)} s` +
            ` (bytes sent twice: ${s.resentBytes}, resumed: ${formatBytes(s.resumedBytes)}).`,
        );
      void finish(0);
    });
    t.on('error', (err) => {
      transfers.delete(t);
      if (flags.json) out({ event: 'error', peer: peer.id, code: err.code, message: err.message });
      else console.error(`\n${err.code}: ${err.message}`);
      // Declined or cancelled by the receiver, or a rebuilt connection that failed the re-binding (someone
      // may be in the middle): done. Anything else: a restarted receiver may come back.
      if (err.code === 'AUTH_FAILED') burnt = true;
      if (err.code === 'FILE_DECLINED' || err.code === 'FILE_CANCELLED' || burnt) void finish(1);
      else if (!flags.json) console.log('Waiting for the receiver to come back…');
    });
  };
  // Files go only to a peer that proved it knows the code's words. One failed proof burns the code: no
  // further peer is tried (a transfer under way goes on), so an attacker gets one guess per code.
  let burnt = false;
  const stop = authenticatePeers(room, theCode, 'sender', {
    authenticated: (peer, session) => {
      if (!burnt) offerTo(peer, session.gate);
    },
    failed: (peer, err) => {
      if (burnt) return; // said once; the rest are its aftermath
      if (flags.json) out({ event: 'error', peer: peer.id, code: err.code, message: err.message });
      else console.error(`\n${err.code}: ${err.message}`);
      if (err.code !== 'AUTH_FAILED') return; // it left before the check: wait for it to come back
      burnt = true;
      stop();
      if (transfers.size === 0) void finish(1);
    },
  });
  process.once('SIGINT', () => void finish(130));
}
