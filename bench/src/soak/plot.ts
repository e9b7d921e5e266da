/**
 * The soak's plot: server RSS (left axis, MiB) and connections/sessions (right axis) over time, as an SVG
 * drawn here and turned into a PNG by Debian's Chromium driven by playwright-core (no network, no GPU).
 */
import { writeFileSync } from 'node:fs';
import type { Sample } from './sampler.js';

export interface PlotInput {
  samples: Sample[];
  title: string;
  subtitle: string;
  /** Seconds since server start: load (after setup) began and ended; the server died (if it did). */
  marks: Array<{ t: number; label: string; color: string }>;
}

const W = 1200;
const H = 640;
const M = { left: 86, right: 96, top: 78, bottom: 110 };

/** A "nice" axis step covering `max` in about `ticks` steps. */
function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number) => (n >= 1000 ? n.toLocaleString('en-US') : String(Math.round(n * 10) / 10));

export function svgChart(p: PlotInput): string {
  const s = p.samples;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const tMax = Math.max(1, ...s.map((x) => x.t), ...p.marks.map((m) => m.t));
  const useMin = tMax > 180;
  const tUnit = useMin ? 60 : 1;
  const xStep = niceStep(tMax / tUnit, 12);
  const xMax = Math.ceil(tMax / tUnit / xStep) * xStep;
  const rssMax = Math.max(1, ...s.map((x) => (Number.isFinite(x.rssMiB) ? x.rssMiB : 0)));
  const yStep = niceStep(rssMax * 1.1, 6);
  const yMax = Math.ceil((rssMax * 1.1) / yStep) * yStep;
  const cMaxRaw = Math.max(1, ...s.map((x) => Math.max(x.connections ?? 0, x.sessions ?? 0, x.fleetOpen)));
  const cStep = niceStep(cMaxRaw * 1.1, 6);
  const cMax = Math.ceil((cMaxRaw * 1.1) / cStep) * cStep;
  const X = (t: number) => M.left + (t / tUnit / xMax) * pw;
  const Y = (v: number) => M.top + ph - (v / yMax) * ph;
  const C = (v: number) => M.top + ph - (v / cMax) * ph;
  const path = (pick: (x: Sample) => number | null, scale: (v: number) => number) => {
    let d = '';
    let pen = false;
    for (const x of s) {
      const v = pick(x);
      if (v === null || !Number.isFinite(v)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${X(x.t).toFixed(1)},${scale(v).toFixed(1)}`;
      pen = true;
    }
    return d;
  };
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="30" text-anchor="middle" font-size="20" font-weight="bold">${esc(p.title)}</text>`,
    `<text x="${W / 2}" y="54" text-anchor="middle" font-size="14" fill="#444">${esc(p.subtitle)}</text>`,
  );
  // Grid and axes.
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    const y = Y(v);
    out.push(
      `<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`,
      `<text x="${M.left - 8}" y="${y + 4}" text-anchor="end" font-size="13" fill="#1f5fbf">${fmt(v)}</text>`,
    );
  }
  for (let v = 0; v <= cMax + 1e-9; v += cStep)
    out.push(`<text x="${M.left + pw + 8}" y="${C(v) + 4}" font-size="13" fill="#b34700">${fmt(v)}</text>`);
  for (let v = 0; v <= xMax + 1e-9; v += xStep) {
    const x = M.left + (v / xMax) * pw;
    out.push(
      `<line x1="${x}" x2="${x}" y1="${M.top}" y2="${M.top + ph}" stroke="#f0f0f0"/>`,
      `<text x="${x}" y="${M.top + ph + 20}" text-anchor="middle" font-size="13">${fmt(v)}</text>`,
    );
  }
  out.push(
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`,
    `<text x="${M.left + pw / 2}" y="${M.top + ph + 44}" text-anchor="middle" font-size="14">time since the server started (${useMin ? 'minutes' : 'seconds'})</text>`,
    `<text transform="translate(24 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="14" fill="#1f5fbf">server RSS (MiB, VmRSS every 1 s)</text>`,
    `<text transform="translate(${W - 22} ${M.top + ph / 2}) rotate(90)" text-anchor="middle" font-size="14" fill="#b34700">connections / sessions (from /healthz)</text>`,
  );
  for (const [i, m] of p.marks.entries()) {
    const x = X(m.t);
    // Labels step down so that marks close together stay readable; near the right edge they sit left of the line.
    const right = x > M.left + pw * 0.8;
    out.push(
      `<line x1="${x}" x2="${x}" y1="${M.top}" y2="${M.top + ph}" stroke="${m.color}" stroke-dasharray="6 4" stroke-width="1.5"/>`,
      `<text x="${right ? x - 4 : x + 4}" y="${M.top + 16 + 16 * i}" font-size="12" fill="${m.color}" text-anchor="${right ? 'end' : 'start'}">${esc(m.label)}</text>`,
    );
  }
  out.push(
    `<path d="${path((x) => x.sessions, C)}" fill="none" stroke="#2e8b57" stroke-width="1.5" stroke-dasharray="4 3"/>`,
    `<path d="${path((x) => x.connections, C)}" fill="none" stroke="#e67300" stroke-width="2"/>`,
    `<path d="${path((x) => x.rssMiB, Y)}" fill="none" stroke="#1f5fbf" stroke-width="2.5"/>`,
  );
  // Seconds in which /healthz gave no answer within 900 ms: red ticks along the bottom.
  for (const x of s)
    if (x.connections === null)
      out.push(
        `<rect x="${(X(x.t) - 2).toFixed(1)}" y="${M.top + ph - 10}" width="4" height="10" fill="#d00"/>`,
      );
  // Legend, below the plot: one row, each entry as wide as its label.
  const ly = H - 26;
  const items: Array<[string, string, string]> = [
    ['#1f5fbf', '', 'server RSS, MiB (left axis)'],
    ['#e67300', '', 'WebSocket connections (right)'],
    ['#2e8b57', '4 3', 'sessions, incl. resume window (right)'],
  ];
  const gaps = s.some((x) => x.connections === null);
  const widthOf = (label: string) => 46 + label.length * 7.4;
  const total =
    items.reduce((a, [, , l]) => a + widthOf(l), 0) +
    (gaps ? 16 + '/healthz: no answer in 900 ms'.length * 7.4 : 0);
  let lx = Math.max(8, (W - total) / 2);
  for (const [color, dash, label] of items) {
    out.push(
      `<line x1="${lx}" x2="${lx + 30}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3" ${dash ? `stroke-dasharray="${dash}"` : ''}/>`,
      `<text x="${lx + 38}" y="${ly + 5}" font-size="13">${esc(label)}</text>`,
    );
    lx += widthOf(label);
  }
  if (gaps)
    out.push(
      `<rect x="${lx}" y="${ly - 8}" width="4" height="12" fill="#d00"/>`,
      `<text x="${lx + 10}" y="${ly + 5}" font-size="13">/healthz: no answer in 900 ms</text>`,
    );
  out.push('</svg>');
  return out.join('\n');
}

/** Writes the SVG beside `pngPath`'s run directory and renders the PNG; returns an error message or null. */
export async function renderPng(svg: string, pngPath: string, svgPath: string): Promise<string | null> {
  writeFileSync(svgPath, svg);
  const executablePath = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
  let browser: import('playwright-core').Browser | null = null;
  try {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath,
      headless: true,
      timeout: 60_000,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    const page = await browser.newPage({ viewport: { width: W, height: H }, deviceScaleFactor: 1 });
    await page.setContent(`<!doctype html><html><body style="margin:0">${svg}</body></html>`, {
      timeout: 30_000,
    });
    await page.screenshot({ path: pngPath, clip: { x: 0, y: 0, width: W, height: H }, timeout: 30_000 });
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await browser?.close().catch(() => {});
  }
}
