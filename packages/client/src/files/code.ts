/**
 * Transfer codes for `parley send` / `parley receive` and the web app's send and receive pages:
 * `<number>-<word>-<word>` in the spirit of magic-wormhole. The number is the public part: it names the
 * signaling room, and is all the server sees. The words are the secret part: they never leave the two
 * peers, which prove to each other that they know them with SPAKE2 (auth.ts). The one home of the code's
 * format: the CLI and the web app both import it.
 */

const WORDS = (
  'acid also apex arch atom aunt away axis baby back bake ball band bank barn base bath bead beam bean bear ' +
  'bell belt bike bird blue boat body bold bolt bone book boot bowl brick bulb cake calm camp cane card cart ' +
  'cave cell chef chin city clay coal coat code coin cold cone cork corn crab crow cube cult curl dawn deer ' +
  'desk dial dice dish dock doll door dove drum duck dune dust echo edge envy epic fact fern film fire fish ' +
  'flag flax foam fog fold font fork fox frog fuel gate gear gift glow glue goat gold golf gown grid gull ' +
  'hail half hall halo harp hawk haze heel herb hill hive hook horn hose iris iron jade jam jar jazz jeep ' +
  'kale kelp kite knot lace lake lamp lark lava leaf lens lime lion loaf loom lute mask maze mild milk mint ' +
  'mist moat mole moon moss moth mule nest newt node oak oar oboe opal oven owl palm park pear pine plum ' +
  'pond pony pool quay quiz raft rain reed reef rice ring road robe rock roof rope rose ruby rust sage ' +
  'salt sand seal seed shed ship silk sled snow soap sock sofa soil star stem sun swan tank tent tide tile'
).split(' ');

/** A uniform random integer in [0, n), from the platform's CSPRNG (browser and Node alike). */
function randomBelow(n: number): number {
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  const buf = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buf);
    const v = buf[0] as number;
    if (v < limit) return v % n;
  }
}

/** The highest room number a fresh code gets (numbers are 1…ROOM_NUMBERS, at most 4 digits). */
export const ROOM_NUMBERS = 9999;

/** A fresh code: a room number and two words (16 bits of secret: 256 × 256; the number is not secret). */
export function newCode(): string {
  const pick = () => WORDS[randomBelow(WORDS.length)] as string;
  return `${randomBelow(ROOM_NUMBERS) + 1}-${pick()}-${pick()}`;
}

/** Checks a code's shape: a number, then one or more words. */
export function isCode(code: string): boolean {
  return /^[0-9]{1,4}(-[a-z]{2,12}){1,8}$/.test(code);
}

/** A code's two parts: the public number (leading zeros dropped) and the secret words, as typed. */
export function codeParts(code: string): { number: number; secret: string } {
  if (!isCode(code)) throw new TypeError(`not a transfer code: ${JSON.stringify(code)}`);
  const dash = code.indexOf('-');
  return { number: Number.parseInt(code.slice(0, dash), 10), secret: code.slice(dash + 1) };
}

/** The signaling room a code meets in: from its number only (the words never reach the server). */
export function roomOf(code: string): string {
  return `send-${codeParts(code).number}`;
}

/** What `claimCode` needs of a joined room. */
interface Joined {
  readonly peers: ReadonlyMap<string, unknown>;
  leave(): Promise<void>;
}

/**
 * A fresh code whose room nobody is in: joins `roomOf(newCode())` and, when the room is occupied (another
 * transfer uses that number now), leaves and tries another number, up to `tries` times.
 */
export async function claimCode<R extends Joined>(
  join: (room: string) => Promise<R>,
  tries = 8,
): Promise<{ code: string; room: R }> {
  for (let i = 1; ; i++) {
    const code = newCode();
    const room = await join(roomOf(code));
    if (room.peers.size === 0 || i >= tries) return { code, room };
    await room.leave().catch(() => {});
  }
}
