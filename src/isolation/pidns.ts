/**
 * PID namespace through util-linux `unshare` (decisions.md D21): the command runs as pid 1 of a new
 * PID namespace with a fresh /proc mounted in a private mount namespace, so it cannot see the
 * server or read `/proc/<server pid>/environ`, and killing it (or `unshare`, thanks to
 * `--kill-child`) takes every process of the namespace down with it. As root the namespace is made
 * directly; otherwise inside a user namespace where the kernel allows one. Which form works is
 * found by running a probe once at start-up.
 */
import { spawnSync } from 'node:child_process'

/** The argv prefixes tried in order: plain (needs CAP_SYS_ADMIN), then with a user namespace. */
function variants(unshare: string): string[][] {
  const common = ['--pid', '--fork', '--mount-proc', '--kill-child']
  return [
    [unshare, ...common, '--'],
    [unshare, '--user', '--map-current-user', ...common, '--'],
    [unshare, '--user', '--map-root-user', ...common, '--'],
  ]
}

export interface PidNamespaceProbe {
  /** argv prefix to put before a command, when a variant works. */
  prefix?: string[]
  /** Why none works. */
  problem?: string
}

/**
 * Finds an `unshare` form that runs a probe as pid 1 with its own /proc. `unshare` is looked up on
 * PATH unless given (the current `process.env.PATH`: plain `Bun.which` reads the environment the
 * process started with, which src/main.ts completes when it has no PATH).
 */
export function probePidNamespace(
  unshare = Bun.which('unshare', { PATH: process.env.PATH ?? '' }) ?? undefined,
): PidNamespaceProbe {
  if (unshare === undefined) return { problem: 'unshare (util-linux) is not installed' }
  let last = ''
  for (const prefix of variants(unshare)) {
    // The probe must see itself as pid 1 and a /proc that does not list this server.
    const r = spawnSync(
      prefix[0] as string,
      [
        ...prefix.slice(1),
        '/bin/sh',
        '-c',
        `echo $$; test -d /proc/${process.pid} && echo visible || echo hidden`,
      ],
      { encoding: 'utf8', timeout: 5000 },
    )
    const out = (r.stdout ?? '').trim().split('\n')
    if (r.status === 0 && out[0] === '1' && (out[1] === 'hidden' || process.pid === 1))
      return { prefix }
    last = (r.stderr ?? '').trim().split('\n').pop() ?? `exit ${r.status}`
  }
  return { problem: `unshare cannot create a PID namespace here: ${last}` }
}
