import { spawnSync } from 'node:child_process'

/**
 * Runs a compiled test script in a child process with a private tmpfs of
 * `size` mounted at `mountPoint` (its first argument, before `args`), so a test can fill a
 * real filesystem. Needs unprivileged user namespaces (`unshare -rm`);
 * returns undefined where they are off, for the caller to skip.
 */
export function runOnTinyFilesystem(script: string, mountPoint: string, size = '1m', args: string[] = []): { status: number | null; stdout: string; stderr: string } | undefined {
  const shell = `mkdir -p "$1" && mount -t tmpfs -o size=${size} none "$1" || exit 77; shift; exec "$@"`
  const run = spawnSync('unshare', ['-rm', 'sh', '-c', shell, 'sh', mountPoint, process.execPath, script, mountPoint, ...args],
    { encoding: 'utf8' })
  if (run.error !== undefined || run.status === 77 || (run.status !== 0 && /unshare/.test(run.stderr))) return undefined
  return { status: run.status, stdout: run.stdout, stderr: run.stderr }
}
