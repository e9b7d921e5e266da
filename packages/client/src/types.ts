/**
 * The platform objects the SDK needs, described by what it uses of them, so that browser globals, the `ws`
 * package and node-datachannel's polyfill all fit without casts at the call site.
 */

/** What the SDK uses of a WebSocket (the browser's, or the `ws` package's). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** A WebSocket class: `globalThis.WebSocket` in browsers, `WebSocket` from `ws` in Node. */
export type WebSocketConstructor = new (url: string, protocols: string[]) => object;

/** An RTCPeerConnection class: `globalThis.RTCPeerConnection`, or node-datachannel's polyfill in Node. */
export type RTCPeerConnectionConstructor = new (config: RTCConfiguration) => object;

/** Where RTCPeerConnection comes from: `globalThis` in browsers, `await import('node-datachannel/polyfill')` in Node. */
export interface RtcImplementation {
  RTCPeerConnection: RTCPeerConnectionConstructor;
}
