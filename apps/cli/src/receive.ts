/**
 * `parley receive [--server URL] [--out DIR] [--yes] [--json] CODE`: joins the code's room, checks that the
 * sender knows the code's words (SPAKE2, @parley/client/files' authenticatePeers), shows what it offers,
 * asks (unless --yes), and receives into DIR; a killed receive started again resumes from the last
 * verified block. Exits 0 only when every file is verified; 1 when the sender failed the code check.
 */
import { createInterface } from 'node:readline/promises';
import {
  authenticatePeers,
  type FileOffer,
  onFileOffers,
  roomOf,
  transferMetadata,
} from '@parley/client/files';
import { nodeSha256, nodeSink } from '@parley/client/files/node';
import { Command, Option } from 'commander';
import { codeArg, DEFAULT_SERVER, formatBytes, join, progressBar, releaseNative } from './transfer-ui.js';

interface ReceiveFlags {
  server: string;
  out: string;
  yes?: boolean;
  json?: boolean;
}

export function receiveCommand(): Command {
  return new Command('receive')
    .description('receive what a `parley send` (or the web app) offers with this code')
    .argument('<code>', 'the code the sender printed', codeArg)
    .addOption(
      new Option('-s, --server <url>', 'signaling server').env('PARLEY_SERVER').default(DEFAULT_SERVER),
    )
    .option('-o, --out <dir>', 'the folder to save into', '.')
    .option('-y, --yes', 'accept without asking')
    .option('--json', 'print one JSON line per event instead of progress bars, and a JSON summary')
    .action((theCode: string, flags: ReceiveFlags) => runReceive(theCode, flags));
}

async function runReceive(theCode: string, flags: ReceiveFlags): Promise<void> {
  const out = (o: Record<string, unknown>) => console.log(JSON.stringify(o));
  const room = await join(flags.server, roomOf(theCode), transferMetadata('receiver'));
  const finish = async (exitCode: number) => {
    await room.leave().catch(() => {});
    releaseNative();
    process.exit(exitCode);
  };
  process.once('SIGINT', () => void finish(130));
  if (!flags.json) console.log('Waiting for the sender…');
  let busy = false;
  const onOffer = (offer: FileOffer, gate: () => Promise<void>) => {
    if (busy) {
      offer.decline();
      return;
    }
    busy = true;
    void handle(offer, gate, flags, out).then((ok) => finish(ok ? 0 : 1));
  };
  // Offers are taken only from a sender that proved it knows the code's words.
  authenticatePeers(room, theCode, 'receiver', {
    authenticated: (peer, session) => onFileOffers(peer, (offer) => onOffer(offer, session.gate)),
    failed: (_peer, err) => {
      if (err.code !== 'AUTH_FAILED' || busy) return; // a sender that left before the check may come back
      if (flags.json) out({ event: 'error', ok: false, code: err.code, message: err.message });
      else console.error(`\n${err.code}: ${err.message}`);
      void finish(1);
    },
  });
}

async function handle(
  offer: FileOffer,
  gate: () => Promise<void>,
  flags: ReceiveFlags,
  out: (o: Record<string, unknown>) => void,
): Promise<boolean> {
  if (flags.json)
    out({
      event: 'offer',
      files: offer.files.map((f) => ({ path: f.path, size: f.size })),
      bytes: offer.total,
    });
  else {
    console.log(`Offered ${offer.files.length} file(s), ${formatBytes(offer.total)}:`);
    for (const f of offer.files.slice(0, 20)) console.log(`  ${f.path}  (${formatBytes(f.size)})`);
    if (offer.files.length > 20) console.log(`  … and ${offer.files.length - 20} more`);
  }
  if (!flags.yes && !(await ask(`Receive into ${flags.out}? [y/N] `))) {
    offer.decline();
    if (!flags.json) console.log('Declined.');
    return false;
  }
  const t = offer.accept(nodeSink(flags.out), { hash: nodeSha256, gate });
  const bar = progressBar('receiving', offer.total, !!flags.json);
  t.on('progress', (p) => {
    bar(p);
    if (flags.json) out({ event: 'progress', bytes: p.bytes, total: p.total, rate: p.rate });
  });
  t.on('file', (f) => {
    if (flags.json) out({ event: 'file', ...f });
  });
  try {
    const s = await t.done;
    await t.flushed();
    const maxRssBytes = process.resourceUsage().maxRSS * 1024;
    if (flags.json) out({ event: 'done', ok: true, ...s, maxRssBytes });
    else {
      for (const f of s.files) console.log(`  ✓ ${f.savedAs}  sha256 ${f.sha256}`);
      console.log(
        `Received and verified ${s.files.length} file(s), ${formatBytes(s.bytes)} in ${(s.ms / 1000).toFixed(1)} s` +
          ` (resumed: ${formatBytes(s.resumedBytes)}, blocks re-requested: ${s.corruptBlocks}).`,
      );
    }
    return true;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (flags.json) out({ event: 'error', ok: false, code: e.code, message: e.message });
    else console.error(`\n${e.code}: ${e.message}`);
    return false;
  }
}

async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
