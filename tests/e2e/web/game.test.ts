/**
 * The arena game in the web app (`#/g/<room>`) with three players in Chromium: keys pressed on one page
 * move that player on the two others (positions converge within 2 field units once it stops), the host
 * leaves and the game goes on under the new host (the present player with the smallest id), and a player
 * who leaves disappears from the others' lists. A screenshot with three players goes to
 * tests/e2e/artifacts/web/game-arena.png (the one in docs/images/ was taken so).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitUntil } from '../harness/wait.js';
import { type ChromiumWebPage, shot, webE2EForFile } from './harness.js';

const web = webE2EForFile();

/** Converged: a remote player's position on another page within this many field units of its own. */
const BOUND = 2;

type Row = { id: string; name: string; self: boolean; host: boolean; it: boolean; x: number; y: number };

const rows = (p: ChromiumWebPage): Promise<Row[]> =>
  p.page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.player')].map((el) => ({
      id: el.dataset.playerId ?? '',
      name: el.dataset.name ?? '',
      self: el.dataset.self === 'true',
      host: el.dataset.host === 'true',
      it: el.dataset.it === 'true',
      x: Number(el.dataset.x),
      y: Number(el.dataset.y),
    })),
  );

async function joinArena(p: ChromiumWebPage, name: string): Promise<void> {
  await p.page.getByLabel('Your name').fill(name);
  await p.page.getByRole('button', { name: 'Join game' }).click();
  await p.page.locator('.field-canvas').waitFor({ timeout: 15_000 });
}

const waitRows = (p: ChromiumWebPage, what: string, ok: (r: Row[]) => boolean, timeoutMs = 20_000) =>
  waitUntil(
    async () => {
      const r = await rows(p);
      return ok(r) && r;
    },
    { what: `${p.name}: ${what}`, timeoutMs, intervalMs: 100, describe: () => rows(p) },
  );

/** Holds a key on `mover` and waits until the others show it where it shows itself. */
async function moveAndConverge(mover: ChromiumWebPage, key: string, ms: number, watchers: ChromiumWebPage[]) {
  const before = (await rows(mover)).find((r) => r.self)!;
  await mover.page.keyboard.down(key);
  // At least `ms`, and on until the player has moved 50 units: a page that renders few frames on a busy
  // machine moves less per wall-clock second (each frame advances at most 0.1 s of movement).
  await new Promise((r) => setTimeout(r, ms));
  const moved = async () => {
    const now = (await rows(mover)).find((r) => r.self)!;
    return Math.hypot(now.x - before.x, now.y - before.y) > 50;
  };
  const deadline = Date.now() + 5000;
  while (!(await moved()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await mover.page.keyboard.up(key);
  await new Promise((r) => setTimeout(r, 200));
  const after = (await rows(mover)).find((r) => r.self)!;
  assert.ok(
    Math.hypot(after.x - before.x, after.y - before.y) > 50,
    `${mover.name} moved: ${JSON.stringify([before, after])}`,
  );
  for (const w of watchers) {
    const seen = await waitRows(w, `${mover.name} within ${BOUND} of (${after.x}, ${after.y})`, (r) => {
      const m = r.find((x) => x.id === after.id);
      return m !== undefined && Math.hypot(m.x - after.x, m.y - after.y) <= BOUND;
    });
    const m = seen.find((x) => x.id === after.id)!;
    console.log(
      `${w.name} shows ${mover.name} at (${m.x}, ${m.y}); ${mover.name} is at (${after.x}, ${after.y})`,
    );
  }
  return after;
}

test(
  'three players in the arena: moves show on the others, the host leaves and the game goes on under the next host',
  { timeout: 180_000 },
  () =>
    web.current.scenario('arena three players', async (s) => {
      const room = `arena-${Date.now().toString(36)}`;
      const alice = await s.open('alice', `/#/g/${room}`);
      await joinArena(alice, 'Alice');
      const bob = await s.open('bob', `/#/g/${room}`);
      await joinArena(bob, 'Bob');
      const carol = await s.open('carol', `/#/g/${room}`);
      await joinArena(carol, 'Carol');
      const everyone = [alice, bob, carol];
      for (const p of everyone) await waitRows(p, 'three players', (r) => r.length === 3);
      const ids = Object.fromEntries((await rows(alice)).map((r) => [r.name, r.id]));
      for (const p of everyone)
        await waitRows(p, 'Alice is host', (r) => r.find((x) => x.host)?.id === ids.Alice);
      const link = await alice.page.getByTestId('game-link').inputValue();
      assert.ok(link.endsWith(`#/g/${room}`), `the invite link ${link}`);

      await moveAndConverge(bob, 'ArrowRight', 700, [alice, carol]);
      await moveAndConverge(alice, 'ArrowDown', 500, [bob, carol]);
      await waitRows(carol, 'someone is it', (r) => r.some((x) => x.it));
      await shot(carol, 'game-arena');

      // The host leaves: the present player with the smallest id takes over, on both pages.
      await alice.page.getByRole('button', { name: 'Leave' }).click();
      const next = [ids.Bob!, ids.Carol!].sort()[0];
      for (const p of [bob, carol]) {
        const r = await waitRows(
          p,
          'two players, the next host',
          (r) => r.length === 2 && r.find((x) => x.host)?.id === next,
        );
        console.log(`${p.name}: host is now ${r.find((x) => x.host)?.name}`);
      }
      // The game goes on: moves still show, and someone is still "it".
      await moveAndConverge(carol, 'ArrowLeft', 500, [bob]);
      await moveAndConverge(bob, 'ArrowUp', 400, [carol]);
      await waitRows(bob, 'someone is it', (r) => r.some((x) => x.it));

      // A player leaves: gone from the other's list.
      await carol.page.getByRole('button', { name: 'Leave' }).click();
      await waitRows(bob, 'Carol gone', (r) => r.length === 1 && r[0]!.self && r[0]!.host);
    }),
);
