// The workspace's packages as the build and the packer see them: every entry of the root package.json's
// `workspaces`, with its manifest. A package is published when its manifest is not `private`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;

/** @returns {{ dir: string, path: string, manifest: Record<string, any> }[]} dir is relative to the root. */
export function workspacePackages() {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return workspaces
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .map((dir) => ({
      dir,
      path: join(root, dir),
      manifest: JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')),
    }));
}

/** The published packages, each after the workspace packages it depends on. */
export function publishedPackages() {
  const pkgs = workspacePackages().filter((p) => !p.manifest.private);
  const byName = new Map(pkgs.map((p) => [p.manifest.name, p]));
  const out = [];
  const visit = (p, path = []) => {
    if (out.includes(p)) return;
    if (path.includes(p)) throw new Error(`dependency cycle: ${[...path, p].map((q) => q.manifest.name)}`);
    for (const dep of Object.keys(p.manifest.dependencies ?? {})) {
      const q = byName.get(dep);
      if (q) visit(q, [...path, p]);
    }
    out.push(p);
  };
  for (const p of pkgs) visit(p);
  return out;
}

/** Workspace packages `name` depends on at run time (its published dependencies), transitively. */
export function workspaceDependencies(name) {
  const byName = new Map(publishedPackages().map((p) => [p.manifest.name, p]));
  const seen = new Set();
  const walk = (n) => {
    for (const dep of Object.keys(byName.get(n)?.manifest.dependencies ?? {})) {
      if (byName.has(dep) && !seen.has(dep)) {
        seen.add(dep);
        walk(dep);
      }
    }
  };
  walk(name);
  return publishedPackages().filter((p) => seen.has(p.manifest.name));
}
