/**
 * The microphone and camera buttons (pre-join and in the call). The state shows in the icon (crossed out
 * when off), the colour (red when off) and `aria-pressed` (pressed = on); the name stays "Microphone" or
 * "Camera", and the tooltip says what a click does.
 */
export type Device = 'microphone' | 'camera';

export function DeviceToggle(props: {
  device: Device;
  on: boolean;
  disabled?: boolean;
  onClick: () => void;
  testId?: string;
}) {
  const { device, on } = props;
  const label = device === 'microphone' ? 'Microphone' : 'Camera';
  const action =
    device === 'microphone'
      ? on
        ? 'Microphone on: click to mute'
        : 'Muted: click to unmute'
      : on
        ? 'Camera on: click to turn it off'
        : 'Camera off: click to turn it on';
  return (
    <button
      type="button"
      class={`device ${on ? 'on' : 'off'}`}
      aria-pressed={on}
      title={props.disabled ? `No ${device}` : action}
      disabled={props.disabled}
      onClick={props.onClick}
      data-testid={props.testId}
      data-state={on ? 'on' : 'off'}
    >
      <DeviceIcon device={device} off={!on} />
      {label}
    </button>
  );
}

/** A 20 px line icon; off adds the diagonal stroke. */
function DeviceIcon({ device, off }: { device: Device; off: boolean }) {
  return (
    <svg
      class="icon"
      width="20"
      height="20"
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
      data-off={off ? 'true' : undefined}
    >
      {device === 'microphone' ? (
        <>
          <rect x="9" y="2" width="6" height="12" rx="3" />
          <path d="M5 11a7 7 0 0 0 14 0M12 18v4M8 22h8" />
        </>
      ) : (
        <>
          <rect x="2" y="6" width="14" height="12" rx="2" />
          <path d="M16 10l6-3v10l-6-3z" />
        </>
      )}
      {off && <path d="M3 3l18 18" />}
    </svg>
  );
}
