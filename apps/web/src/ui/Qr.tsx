/** A QR code of a link, drawn as SVG. */
import { renderSVG } from 'uqr';

export function Qr({ text, label }: { text: string; label: string }) {
  const svg = renderSVG(text, { border: 2, ecc: 'M', whiteColor: '#fff', blackColor: '#000' });
  return <div class="qr" role="img" aria-label={label} dangerouslySetInnerHTML={{ __html: svg }} />;
}
