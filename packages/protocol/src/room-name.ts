/** What a room name may be: 1–64 characters, letters, digits and `_.~-`, not starting with a symbol. */
export const ROOM_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.~-]{0,63}$';

/** What a peer id may be: 1–64 letters, digits, `_` and `-` (the server makes them). */
export const PEER_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
