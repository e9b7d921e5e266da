/** A <video> bound to a MediaStream (srcObject cannot be set as an attribute). */
import { useEffect, useRef } from 'preact/hooks';

export function Video(props: {
  stream: MediaStream | undefined;
  muted?: boolean;
  mirror?: boolean;
  label: string;
}) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const v = ref.current;
    if (!v || v.srcObject === (props.stream ?? null)) return;
    v.srcObject = props.stream ?? null;
    if (props.stream) v.play().catch(() => undefined);
  }, [props.stream]);
  return (
    <video
      ref={ref}
      autoplay
      playsInline
      muted={props.muted}
      aria-label={props.label}
      class={props.mirror ? 'mirror' : undefined}
    />
  );
}
