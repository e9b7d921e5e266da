/** Before joining: camera and microphone preview, device pickers, display name; join with or without video. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { acquire, type Devices, LevelMeter, listDevices } from '../lib/media.js';
import { InsecureNotice, mediaBlocked } from '../ui/InsecureNotice.js';
import { ShareLink } from '../ui/ShareLink.js';
import { DeviceToggle } from './DeviceToggle.js';
import { Video } from './Video.js';

const NAME_KEY = 'parley.name';

export interface PreJoinResult {
  name: string;
  stream: MediaStream;
}

export function PreJoin(props: {
  room: string;
  busy: boolean;
  error?: string | undefined;
  onJoin: (r: PreJoinResult) => void;
}) {
  const [name, setName] = useState(() => localStorage.getItem(NAME_KEY) ?? '');
  const [stream, setStream] = useState<MediaStream | undefined>(undefined);
  const [problems, setProblems] = useState<string[]>([]);
  /** Joining waits until the devices have answered (granted, refused or missing). */
  const [ready, setReady] = useState(false);
  const [devices, setDevices] = useState<Devices>({ cameras: [], microphones: [] });
  const [cameraId, setCameraId] = useState<string | undefined>(undefined);
  const [microphoneId, setMicrophoneId] = useState<string | undefined>(undefined);
  const [micOn, setMicOn] = useState(true);
  const [camOn, setCamOn] = useState(true);
  const current = useRef<MediaStream | undefined>(undefined);
  const handedOver = useRef(false);
  const blocked = mediaBlocked();

  useEffect(() => {
    let cancelled = false;
    void acquire({ video: true, audio: true, cameraId, microphoneId }).then(async (got) => {
      if (cancelled) {
        for (const t of got.stream.getTracks()) t.stop();
        return;
      }
      for (const t of current.current?.getTracks() ?? []) t.stop();
      current.current = got.stream;
      setStream(got.stream);
      setProblems(got.problems);
      setReady(true);
      setDevices(await listDevices());
    });
    return () => {
      cancelled = true;
    };
  }, [cameraId, microphoneId]);

  // Leaving the page without joining releases the devices.
  useEffect(
    () => () => {
      if (!handedOver.current) for (const t of current.current?.getTracks() ?? []) t.stop();
    },
    [],
  );

  useEffect(() => {
    for (const t of stream?.getAudioTracks() ?? []) t.enabled = micOn;
    for (const t of stream?.getVideoTracks() ?? []) t.enabled = camOn;
  }, [stream, micOn, camOn]);

  const level = useMicLevel(micOn ? stream?.getAudioTracks()[0] : undefined);
  const hasCamera = !!stream?.getVideoTracks().length;
  const hasMic = !!stream?.getAudioTracks().length;

  const join = (withVideo: boolean) => {
    const s = stream ?? new MediaStream();
    if (!withVideo) {
      for (const t of s.getVideoTracks()) {
        t.stop();
        s.removeTrack(t);
      }
    }
    const display = name.trim().slice(0, 64) || 'Guest';
    localStorage.setItem(NAME_KEY, display);
    handedOver.current = true;
    props.onJoin({ name: display, stream: s });
  };

  return (
    <main class="page prejoin">
      <h1>
        Join <span class="room-name">{props.room}</span>
      </h1>
      {blocked && <InsecureNotice why={blocked} />}
      <div class="prejoin-grid">
        <section class="preview" aria-label="Your camera preview">
          {hasCamera && camOn ? (
            <Video stream={stream} muted mirror label="Your camera preview" />
          ) : (
            <div class="placeholder" aria-hidden="true">
              {!ready ? 'Starting camera…' : hasCamera ? 'Camera off' : 'No camera'}
            </div>
          )}
          <div class="row preview-buttons">
            <DeviceToggle
              device="microphone"
              on={hasMic && micOn}
              disabled={!hasMic}
              onClick={() => setMicOn(!micOn)}
            />
            <DeviceToggle
              device="camera"
              on={hasCamera && camOn}
              disabled={!hasCamera}
              onClick={() => setCamOn(!camOn)}
            />
          </div>
          {hasMic && (
            <label class="mic-level">
              <span class="muted small">Microphone</span>
              <meter min={0} max={1} value={level} />
            </label>
          )}
          {problems.length > 0 && !blocked && (
            <ul class="problems" role="status">
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
        </section>
        <section class="card join-form" aria-label="Join settings">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              join(hasCamera && camOn);
            }}
          >
            <label class="field">
              <span>Your name</span>
              <input
                name="display-name"
                value={name}
                maxLength={64}
                autocomplete="nickname"
                placeholder="Guest"
                onInput={(e) => setName(e.currentTarget.value)}
              />
            </label>
            <DevicePicker label="Camera" list={devices.cameras} value={cameraId} onChange={setCameraId} />
            <DevicePicker
              label="Microphone"
              list={devices.microphones}
              value={microphoneId}
              onChange={setMicrophoneId}
            />
            <div class="row wrap">
              <button type="submit" class="primary" disabled={props.busy || !ready}>
                {props.busy ? 'Joining…' : 'Join'}
              </button>
              <button type="button" disabled={props.busy || !ready} onClick={() => join(false)}>
                Join without video
              </button>
            </div>
            {props.error && (
              <p role="alert" class="error">
                {props.error}
              </p>
            )}
          </form>
          <ShareLink room={props.room} />
        </section>
      </div>
    </main>
  );
}

function DevicePicker(props: {
  label: string;
  list: MediaDeviceInfo[];
  value: string | undefined;
  onChange: (id: string) => void;
}) {
  if (props.list.length === 0) return null;
  return (
    <label class="field">
      <span>{props.label}</span>
      <select
        value={props.value ?? props.list[0]?.deviceId}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        {props.list.map((d, i) => (
          <option key={d.deviceId} value={d.deviceId}>
            {d.label || `${props.label} ${i + 1}`}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The microphone's loudness, refreshed ten times a second, so people see that it works before joining. */
function useMicLevel(track: MediaStreamTrack | undefined): number {
  const [level, setLevel] = useState(0);
  useEffect(() => {
    if (!track) {
      setLevel(0);
      return;
    }
    const meter = new LevelMeter(track);
    const timer = setInterval(() => setLevel(meter.level()), 100);
    return () => {
      clearInterval(timer);
      meter.close();
    };
  }, [track]);
  return level;
}
