import {constants} from 'node:fs'
import {access} from 'node:fs/promises'
import path from 'node:path'

import type {Cluster} from '../cluster/loader.js'
import {ENGINE_DESCRIPTORS} from '../proxy-config/descriptors.js'
import {HactlError} from '../errors.js'

export interface Check {
  name: string
  ok: boolean
  detail: string
  /** What to do when it failed. */
  fix?: string
}

export async function onPath(binary: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, binary)
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate
  }
  return undefined
}

async function readable(file: string): Promise<boolean> {
  return access(file, constants.R_OK).then(
    () => true,
    () => false,
  )
}

export interface DoctorDeps {
  /** Resolves AWS credentials; injected so tests need no cloud. */
  resolveAwsCredentials?: (cluster: Cluster) => Promise<string>
}

/**
 * Each check on one line: what hactl needs on this machine to run the
 * cluster. The cluster comes from the command (`load`), so a file that does
 * not load is one failed check among the others, not the end of the report.
 */
export async function runDoctor(load: () => Promise<Cluster>, deps: DoctorDeps = {}): Promise<Check[]> {
  const checks: Check[] = []
  const [major, minor] = process.versions.node.split('.').map(Number)
  checks.push({
    name: 'node',
    // package.json's engines: 20.16 brought process.getBuiltinModule.
    ok: major > 20 || (major === 20 && minor >= 16),
    detail: `Node.js ${process.versions.node}`,
    fix: 'Install Node.js 20.16 or newer.',
  })

  let cluster: Cluster | undefined
  try {
    cluster = await load()
    checks.push({name: 'cluster file', ok: true, detail: `${cluster.file}: ${cluster.spec.provider}, ${cluster.spec.proxy.engine}`})
  } catch (error) {
    const message = error instanceof HactlError ? error.located : String(error)
    checks.push({name: 'cluster file', ok: false, detail: message.split('\n')[0], fix: 'Run `hactl init`, or fix the file (`hactl validate` lists every problem).'})
  }

  const engine = cluster?.spec.proxy.engine ?? 'haproxy'
  const {binary, validator} = ENGINE_DESCRIPTORS[engine]
  const found = await onPath(binary)
  // An engine without a validator of its own is checked structurally: its binary is not needed here.
  checks.push({
    name: `${binary} binary`,
    ok: Boolean(found) || !validator,
    detail: found ?? (validator ? 'not found on PATH' : `not found; ${engine} configs are checked structurally`),
    fix: `Install it (Debian: apt-get install -y ${binary}); hactl validates configs with the real binary.`,
  })

  if (!cluster) return checks
  if (cluster.spec.proxy.config) {
    const ok = await readable(cluster.spec.proxy.config)
    checks.push({name: 'proxy config', ok, detail: cluster.spec.proxy.config, fix: 'Create it, or fix proxy.config in the cluster file.'})
  }
  if (cluster.spec.provider === 'aws') {
    const resolve = deps.resolveAwsCredentials ?? resolveAwsCredentials
    try {
      checks.push({name: 'aws credentials', ok: true, detail: await resolve(cluster)})
    } catch (error) {
      checks.push({
        name: 'aws credentials',
        ok: false,
        detail: (error as Error).message.split('\n')[0],
        fix: 'Configure credentials (aws configure, AWS_PROFILE, aws sso login, or an instance role).',
      })
    }
  }
  if (cluster.spec.provider !== 'local') {
    const {identityFile, knownHosts} = cluster.spec.ssh
    if (identityFile) {
      checks.push({name: 'ssh key', ok: await readable(identityFile), detail: identityFile, fix: 'Fix ssh.identityFile or its permissions.'})
    } else {
      const agent = process.env.SSH_AUTH_SOCK
      checks.push({name: 'ssh key', ok: Boolean(agent), detail: agent ? `ssh-agent at ${agent}` : 'no ssh.identityFile and no ssh-agent', fix: 'Set ssh.identityFile or start ssh-agent.'})
    }
    checks.push({name: 'known_hosts', ok: await readable(knownHosts), detail: knownHosts, fix: 'Create it with ssh-keyscan HOST >> FILE after checking the fingerprints, or use --accept-new on the first push.'})
  }
  return checks
}

async function resolveAwsCredentials(cluster: Cluster): Promise<string> {
  // Loaded here so that the SDK is read only when the cluster is on AWS.
  const {describeCredentials} = await import('../cloud/aws/credentials.js')
  return describeCredentials({region: cluster.spec.region, profile: cluster.spec.profile})
}
