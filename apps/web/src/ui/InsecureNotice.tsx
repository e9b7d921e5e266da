/**
 * Browsers give camera and microphone only to secure pages (HTTPS, or http://localhost). A page opened
 * over plain HTTP from another device gets neither, and would otherwise fail without saying why: this
 * says so, and names the fix.
 */

/** Why this page can have no camera or microphone, or undefined when it can ask for them. */
export function mediaBlocked(): 'insecure' | 'unsupported' | undefined {
  if (!window.isSecureContext) return 'insecure';
  const media = (navigator as { mediaDevices?: MediaDevices }).mediaDevices;
  return typeof media?.getUserMedia === 'function' ? undefined : 'unsupported';
}

export function InsecureNotice(props: { why: 'insecure' | 'unsupported' }) {
  if (props.why === 'unsupported')
    return (
      <section class="insecure" role="alert" data-testid="media-blocked">
        <h2>This browser offers no camera or microphone here</h2>
        <p>You can still join to chat and share files. Try another browser for a call.</p>
      </section>
    );
  const secure = `https://${location.host}${location.pathname}${location.hash}`;
  return (
    <section class="insecure" role="alert" data-testid="media-blocked">
      <h2>Camera and microphone are blocked on this page</h2>
      <p>
        Browsers give them only to secure pages, and this one came over plain HTTP from another device:{' '}
        <code>{location.origin}</code>. Calls cannot work here; you can still join to chat and share files.
      </p>
      <p>
        To fix it, whoever runs Parley restarts it with HTTPS:{' '}
        <code>parley serve --host 0.0.0.0 --tls-self-signed</code> (or with <code>--tls-cert</code> and{' '}
        <code>--tls-key</code> for a certificate of your own). Then open <a href={secure}>{secure}</a>{' '}
        instead.
      </p>
    </section>
  );
}
