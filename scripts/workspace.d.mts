export interface WorkspacePackage {
  /** Relative to the repository root. */
  dir: string;
  path: string;
  manifest: {
    name: string;
    private?: boolean;
    dependencies?: Record<string, string>;
    [key: string]: unknown;
  };
}
export const root: string;
export function workspacePackages(): WorkspacePackage[];
export function publishedPackages(): WorkspacePackage[];
export function workspaceDependencies(name: string): WorkspacePackage[];
