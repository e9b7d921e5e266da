/**
 * Transfer codes for `parley send` / `parley receive` and the web app's send and receive pages:
 * `<number>-<word>-<word>` in the spirit of magic-wormhole. The number names the room; the words are the
 * secret part. The room a code meets in is derived from the whole code, so two transfers with the same
 * number do not meet. The one home of the code's format: the CLI and the web app both import it.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

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

/** A fresh code: a room number and two words (about 14 bits of secret; the room part is not secret). */
export function newCode(): string {
  const pick = () => WORDS[randomBelow(WORDS.length)] as string;
  return `${randomBelow(99) + 1}-${pick()}-${pick()}`;
}

/** Checks a code's shape: a number, then one or more words. */
export function isCode(code: string): boolean {
  return /^[0-9]{1,4}(-[a-z]{2,12}){1,8}$/.test(code);
}

/** The signaling room a code meets in: its number and a digest of the whole code. */
export function roomOf(code: string): string {
  const [n] = code.split('-');
  const digest = bytesToHex(sha256(new TextEncoder().encode(`parley-send/${code}`))).slice(0, 24);
  return `send-${n}-${digest}`;
}
