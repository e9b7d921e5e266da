import { defaultClientConditions, defineConfig } from 'vite';

// The SDK is built from source (the `@parley/source` export condition), like every workspace package.
// `npm run dev` proxies signaling to a `parley serve` on :8080.
export default defineConfig({
  resolve: { conditions: ['@parley/source', ...defaultClientConditions] },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // No source maps in the build: the server would hand the whole source to anyone who asks.
  build: { target: 'es2022', sourcemap: false },
  server: { proxy: { '/ws': { target: 'ws://127.0.0.1:8080', ws: true } } },
});
