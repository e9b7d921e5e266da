/**
 * What peers of the web app say to each other on the SDK's default channel ("parley"): their media state
 * and chat. Files go on their own channel (files.ts). Every message is one JSON string; anything else is
 * ignored.
 */

export interface StateMessage {
  t: 'state';
  from: string;
  name: string;
  muted: boolean;
  camera: boolean;
  screen: boolean;
}

export interface ChatMessage {
  t: 'chat';
  id: string;
  text: string;
  at: number;
}

export type AppMessage = StateMessage | ChatMessage;

export const MAX_CHAT_LENGTH = 4000;

/** One JSON string per message. */
export function encode(msg: AppMessage): string {
  return JSON.stringify(msg);
}

export function decode(data: string | Uint8Array): AppMessage | undefined {
  if (typeof data !== 'string') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object') return undefined;
  const m = v as Record<string, unknown>;
  if (m.t === 'state' && typeof m.from === 'string' && typeof m.name === 'string') {
    return {
      t: 'state',
      from: m.from,
      name: m.name.slice(0, 64),
      muted: m.muted === true,
      camera: m.camera === true,
      screen: m.screen === true,
    };
  }
  if (m.t === 'chat' && typeof m.id === 'string' && typeof m.text === 'string' && typeof m.at === 'number') {
    return { t: 'chat', id: m.id, text: m.text.slice(0, MAX_CHAT_LENGTH), at: m.at };
  }
  return undefined;
}
