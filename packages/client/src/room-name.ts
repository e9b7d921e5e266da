/** Room names the server accepts, from the protocol's own pattern. */
import { ROOM_NAME_PATTERN } from '@parley/protocol/client';

const ROOM_NAME = new RegExp(ROOM_NAME_PATTERN);

/** Whether the server accepts `name` as a room name. */
export function isRoomName(name: string): boolean {
  return ROOM_NAME.test(name);
}
