/**
 * Bundles a benchmark process's entry file to plain JavaScript for Node, as the CLI's build does: our
 * workspace packages are bundled from source, third-party ones stay external (resolved from
 * node_modules at run time). Measured processes then run without a TypeScript loader in their CPU time,
 * memory or profile.
 */
import { build } from 'esbuild';

export async function bundleForNode(entry: string, outfile: string, root: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    conditions: ['@parley/source'],
    absWorkingDir: root,
    logLevel: 'warning',
    plugins: [
      {
        name: 'bundle-workspace-only',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (a) =>
            a.path.startsWith('@parley/') ? undefined : { external: true },
          );
        },
      },
    ],
  });
}
