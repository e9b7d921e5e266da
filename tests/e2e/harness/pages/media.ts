/** Media helpers for the SDK page: send the fake camera and microphone, show what arrives in <video>s. */
import type { SdkAgent } from '../sdk-agent.js';

export interface PageMedia {
  /** Adds the fake camera (and microphone) tracks to the connection to `peerId`; resolves with their kinds. */
  sendCamera(peerId: string): Promise<string[]>;
  /** Kinds of the tracks received from `peerId`, in arrival order. */
  received(peerId: string): string[];
  /** The received video's size and how many frames the <video> has shown (zeros until frames arrive). */
  video(peerId: string): { width: number; height: number; frames: number };
}

export function pageMedia(agent: SdkAgent): PageMedia {
  const received = new Map<string, string[]>();
  const videos = new Map<string, HTMLVideoElement>();
  agent.onTrack = (peerId, track, stream) => {
    received.set(peerId, [...(received.get(peerId) ?? []), track.kind]);
    if (track.kind !== 'video') return;
    const el = videos.get(peerId) ?? document.body.appendChild(document.createElement('video'));
    el.muted = true;
    el.autoplay = true;
    el.srcObject = stream;
    videos.set(peerId, el);
  };
  return {
    async sendCamera(peerId) {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { width: 320, height: 240 },
        audio: true,
      });
      for (const track of stream.getTracks()) agent.addTrack(peerId, track, stream);
      return stream.getTracks().map((t) => t.kind);
    },
    received: (peerId) => received.get(peerId) ?? [],
    video(peerId) {
      const el = videos.get(peerId);
      if (!el) return { width: 0, height: 0, frames: 0 };
      return {
        width: el.videoWidth,
        height: el.videoHeight,
        frames: el.getVideoPlaybackQuality().totalVideoFrames,
      };
    },
  };
}
