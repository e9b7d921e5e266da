import type { BuildOptions } from 'esbuild';

export const BROWSER_BUNDLE_BUDGET_GZIP: number;
export const BROWSER_BUNDLE_OUTFILE: string;
export const browserBundleOptions: BuildOptions;
export function gzipSize(bytes: Uint8Array | string): number;
export function measureBrowserBundle(): Promise<{
  bytes: number;
  gzip: number;
  /** Bytes each input file (path relative to the working directory) left in the bundle. */
  inputs: Record<string, number>;
}>;
