/** Readable random room names ("brave-otter-42"), and room names from what someone typed. */
import { isRoomName } from '@parley/client';

const ADJECTIVES = [
  'amber',
  'brave',
  'calm',
  'clever',
  'crisp',
  'daring',
  'eager',
  'fancy',
  'gentle',
  'golden',
  'happy',
  'jolly',
  'keen',
  'lively',
  'lucky',
  'merry',
  'mighty',
  'noble',
  'proud',
  'quiet',
  'rapid',
  'shiny',
  'silver',
  'sunny',
  'swift',
  'tidy',
  'vivid',
  'warm',
  'wise',
  'zesty',
];
const NOUNS = [
  'badger',
  'beacon',
  'canyon',
  'comet',
  'falcon',
  'forest',
  'garden',
  'harbor',
  'island',
  'lagoon',
  'lantern',
  'meadow',
  'otter',
  'panda',
  'pepper',
  'pine',
  'planet',
  'river',
  'robin',
  'rocket',
  'summit',
  'thunder',
  'tiger',
  'valley',
  'walrus',
  'willow',
  'maple',
  'harp',
  'kiwi',
  'nebula',
];

function pick<T>(list: readonly T[]): T {
  const [n = 0] = crypto.getRandomValues(new Uint32Array(1));
  return list[n % list.length] as T;
}

export function randomRoomName(): string {
  const [n = 0] = crypto.getRandomValues(new Uint16Array(1));
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${(n % 90) + 10}`;
}

/** A room name from what someone typed: a bare name or a full link to a room; undefined when neither. */
export function roomFromInput(input: string): string | undefined {
  const text = input.trim();
  const fromLink = /#\/r\/([^/?#\s]+)/.exec(text)?.[1];
  const name = fromLink ? decodeURIComponent(fromLink) : text;
  return isRoomName(name) ? name : undefined;
}
