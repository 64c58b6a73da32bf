// Types of scripts/start-build.mjs (plain JavaScript, so that `npm start` needs nothing compiled to start).
export function inputs(root: string): string[];
export function fingerprint(root: string, paths?: string[]): string;
export function freshBuild(root: string, cache: string): Promise<{ dir: string; built: boolean; modules?: number }>;
