/**
 * Reads a V8 heap snapshot and sums retained-by-nobody-in-particular self sizes per constructor name:
 * comparing two servers holding the same idle connections shows what each connection costs, by object.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startRig } from './procs.js';
import type { SystemName } from './systems.js';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapClass {
  name: string;
  count: number;
  bytes: number;
}

/** Self size and count per (type, constructor) over the whole heap, largest first. */
export function heapByClass(file: string): HeapClass[] {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const byName = new Map<string, HeapClass>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]!]!;
    const raw = snap.strings[snap.nodes[i + iName]!]!;
    const name =
      type === 'object' || type === 'closure'
        ? `${type}:${raw}`
        : type === 'string' || type === 'concatenated string' || type === 'sliced string'
          ? 'string'
          : `(${type})`;
    const e = byName.get(name) ?? { name, count: 0, bytes: 0 };
    e.count++;
    e.bytes += snap.nodes[i + iSize]!;
    byName.set(name, e);
  }
  return [...byName.values()].sort((a, b) => b.bytes - a.bytes);
}

export interface HeapBreakdown {
  system: SystemName;
  connections: number;
  /** Heap bytes per connection (snapshot with clients minus snapshot without), by constructor. */
  perConnection: Array<{ name: string; count: number; bytes: number }>;
  totalBytes: number;
}

async function snapshotWith(
  system: SystemName,
  pairs: number,
  file: string,
): Promise<Map<string, HeapClass>> {
  const rig = await startRig(system, { serverCpu: null, clientCpu: null, pairs, prefix: 'h' });
  try {
    await new Promise((r) => setTimeout(r, 500));
    await rig.server.request({ op: 'heap-snapshot', file });
  } finally {
    await rig.stop();
  }
  const classes = new Map(heapByClass(file).map((c) => [c.name, c]));
  rmSync(file, { force: true });
  return classes;
}

/** What one idle joined connection holds on a server's heap, by constructor, largest first. */
export async function heapBreakdown(
  system: SystemName,
  connections: number,
  dir: string,
): Promise<HeapBreakdown> {
  mkdirSync(dir, { recursive: true });
  const empty = await snapshotWith(system, 0, join(dir, `${system}-0.heapsnapshot`));
  const full = await snapshotWith(
    system,
    connections / 2,
    join(dir, `${system}-${connections}.heapsnapshot`),
  );
  const rows = [...full.values()]
    .map((c) => ({
      name: c.name,
      count: Math.round((100 * (c.count - (empty.get(c.name)?.count ?? 0))) / connections) / 100,
      bytes: Math.round((c.bytes - (empty.get(c.name)?.bytes ?? 0)) / connections),
    }))
    .sort((a, b) => b.bytes - a.bytes);
  return {
    system,
    connections,
    perConnection: rows.filter((r) => r.bytes >= 16).slice(0, 25),
    totalBytes: rows.reduce((a, r) => a + r.bytes, 0),
  };
}
