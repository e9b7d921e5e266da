/** CPU time a process has used, read from Linux's /proc. */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const CLK_TCK = 100;

/** User and system CPU seconds of a process (all threads), from /proc/<pid>/stat; NaN when it is gone. */
export function processUserSys(pid: number | undefined): { user: number; sys: number } {
  if (pid === undefined) return { user: Number.NaN, sys: Number.NaN };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) / CLK_TCK, sys: Number(f[12]) / CLK_TCK };
  } catch {
    return { user: Number.NaN, sys: Number.NaN };
  }
}

/** User + system CPU seconds of a process, from /proc/<pid>/stat (10 ms ticks). */
export function processTickSeconds(pid: number | undefined): number {
  const { user, sys } = processUserSys(pid);
  return user + sys;
}
