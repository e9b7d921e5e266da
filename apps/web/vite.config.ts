import { defaultClientConditions, defineConfig } from 'vite';

// The SDK is built from source (the `@parley/source` export condition), like every workspace package.
// `npm run dev` proxies signaling to a `parley serve` on :8080.
export default defineConfig({
  resolve: { conditions: ['@parley/source', ...defaultClientConditions] },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { target: 'es2022', sourcemap: true },
  server: { proxy: { '/ws': { target: 'ws://127.0.0.1:8080', ws: true } } },
});
