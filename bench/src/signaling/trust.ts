/**
 * Whether a memory-per-connection figure can be trusted. RSS moves by several MiB on its own (the young
 * generation growing or shrinking, allocator caches), so a figure is a result only when the connections
 * moved memory by well more than that; a negative one never is.
 */
export const MEMORY_NOISE_BYTES = 8 * 2 ** 20;

export type Trust = { ok: true } | { ok: false; why: string };

export function memoryTrust(perConn: number | null | undefined, connections: number): Trust {
  if (perConn == null || !Number.isFinite(perConn)) return { ok: false, why: 'not measured' };
  const total = perConn * connections;
  if (perConn <= 0)
    return {
      ok: false,
      why: `memory fell by ${(-total / 2 ** 20).toFixed(1)} MiB while ${connections} connected`,
    };
  if (total < MEMORY_NOISE_BYTES)
    return {
      ok: false,
      why: `${connections} connections moved memory by ${(total / 2 ** 20).toFixed(1)} MiB, below the ${MEMORY_NOISE_BYTES / 2 ** 20} MiB noise`,
    };
  return { ok: true };
}
