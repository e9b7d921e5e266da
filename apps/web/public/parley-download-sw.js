// The web app's download worker: streams a received file to the browser's downloads as the page hands it
// verified bytes (where the page cannot stage files). Its protocol is described in the SDK's
// packages/client/src/files/browser/download.ts; it answers nothing but `parley-download/<id>`.
const pending = new Map();

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('message', (e) => {
  const m = e.data;
  if (m?.t !== 'parley-download' || typeof m.id !== 'string' || !m.port) return;
  const port = m.port;
  let controller;
  let owed = 0; // acks held back while the stream is full
  const stream = new ReadableStream(
    {
      start(c) {
        controller = c;
      },
      pull() {
        for (; owed > 0; owed--) port.postMessage({ ack: true });
      },
      cancel() {
        port.postMessage({ cancelled: true });
      },
    },
    { highWaterMark: 4 * 1024 * 1024, size: (chunk) => chunk.byteLength },
  );
  port.onmessage = ({ data }) => {
    if (data.chunk) {
      controller.enqueue(data.chunk);
      if (controller.desiredSize > 0) port.postMessage({ ack: true });
      else owed++;
    } else if (data.end) controller.close();
    else if (data.error) controller.error(new Error(String(data.error)));
  };
  pending.set(m.id, { stream, name: String(m.name), size: Number(m.size), mime: String(m.mime) });
  port.postMessage({ ready: true });
});

self.addEventListener('fetch', (e) => {
  const id = /\/parley-download\/([A-Za-z0-9-]+)$/.exec(new URL(e.request.url).pathname)?.[1];
  const file = id && pending.get(id);
  if (!file) return;
  pending.delete(id);
  e.respondWith(
    new Response(file.stream, {
      headers: {
        'content-type': file.mime || 'application/octet-stream',
        'content-length': String(file.size),
        'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`,
      },
    }),
  );
});
