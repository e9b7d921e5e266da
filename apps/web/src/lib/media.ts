/** Camera, microphone and screen: acquiring them, listing them, and saying plainly what went wrong. */

export interface Devices {
  cameras: MediaDeviceInfo[];
  microphones: MediaDeviceInfo[];
}

export interface Acquired {
  stream: MediaStream;
  /** What could not be had, in words for people; empty when both came. */
  problems: string[];
}

const VIDEO: MediaTrackConstraints = {
  width: { ideal: 640 },
  height: { ideal: 480 },
  frameRate: { ideal: 20 },
};

/**
 * Asks for what is wanted; when both together fail, tries each alone, so one missing or blocked device
 * does not cost the other.
 */
export async function acquire(want: {
  video: boolean;
  audio: boolean;
  cameraId?: string | undefined;
  microphoneId?: string | undefined;
}): Promise<Acquired> {
  const video = want.video
    ? { ...VIDEO, ...(want.cameraId ? { deviceId: { exact: want.cameraId } } : {}) }
    : false;
  const audio = want.audio
    ? {
        echoCancellation: true,
        noiseSuppression: true,
        ...(want.microphoneId ? { deviceId: { exact: want.microphoneId } } : {}),
      }
    : false;
  if (!video && !audio) return { stream: new MediaStream(), problems: [] };
  if (!navigator.mediaDevices?.getUserMedia) {
    return {
      stream: new MediaStream(),
      problems: ['This browser cannot use a camera or microphone here (it needs HTTPS or localhost).'],
    };
  }
  try {
    return { stream: await navigator.mediaDevices.getUserMedia({ video, audio }), problems: [] };
  } catch (both) {
    if (!video || !audio)
      return { stream: new MediaStream(), problems: [explain(both, video ? 'camera' : 'microphone')] };
  }
  const stream = new MediaStream();
  const problems: string[] = [];
  for (const [kind, constraints] of [
    ['camera', { video }],
    ['microphone', { audio }],
  ] as const) {
    try {
      for (const track of (await navigator.mediaDevices.getUserMedia(constraints)).getTracks())
        stream.addTrack(track);
    } catch (err) {
      problems.push(explain(err, kind));
    }
  }
  return { stream, problems };
}

export function explain(err: unknown, what: 'camera' | 'microphone' | 'screen'): string {
  const name = (err as { name?: string })?.name;
  const The = what === 'screen' ? 'Screen sharing' : `The ${what}`;
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return what === 'screen'
        ? 'Screen sharing was not allowed.'
        : `${The} is blocked. Allow it in the browser's site settings, or join without it.`;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return `No ${what} was found.`;
    case 'NotReadableError':
    case 'AbortError':
      return `${The} is in use by another program or could not be started.`;
    default:
      return `${The} is not available (${(err as Error)?.message ?? String(err)}).`;
  }
}

export async function listDevices(): Promise<Devices> {
  const all = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
  return {
    cameras: all.filter((d) => d.kind === 'videoinput' && d.deviceId),
    microphones: all.filter((d) => d.kind === 'audioinput' && d.deviceId),
  };
}

export async function captureScreen(): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getDisplayMedia({
    video: { frameRate: { ideal: 15 } },
    audio: false,
  });
  const track = stream.getVideoTracks()[0];
  if (!track) throw new Error('no screen track');
  return track;
}

/** The loudness (0…1) of a local audio track, read from an AnalyserNode. */
export class LevelMeter {
  readonly #ctx: AudioContext;
  readonly #analyser: AnalyserNode;
  readonly #buf: Float32Array<ArrayBuffer>;
  #closed = false;

  constructor(track: MediaStreamTrack) {
    this.#ctx = new AudioContext();
    this.#analyser = this.#ctx.createAnalyser();
    this.#analyser.fftSize = 512;
    this.#buf = new Float32Array(this.#analyser.fftSize);
    this.#ctx.createMediaStreamSource(new MediaStream([track])).connect(this.#analyser);
  }

  level(): number {
    this.#analyser.getFloatTimeDomainData(this.#buf);
    let sum = 0;
    for (const v of this.#buf) sum += v * v;
    return Math.min(1, Math.sqrt(sum / this.#buf.length) * 4);
  }

  /** Releases the audio context; again is a no-op (closing a closed AudioContext rejects). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    void this.#ctx.close();
  }
}
