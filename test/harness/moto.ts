import {EC2Client} from '@aws-sdk/client-ec2'
import {CreateHostedZoneCommand, Route53Client} from '@aws-sdk/client-route-53'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hactl, type CliResult} from './cli.js'
import {freePort} from './ports.js'
import {startProcess} from './process.js'
import {portOpen, waitFor} from './wait.js'

export interface Moto {
  endpoint: string
  /** Environment for hactl and SDK clients pointed at this moto. */
  env: Record<string, string>
  stop: () => Promise<void>
  reset: () => Promise<void>
}

/** A real moto_server on a free loopback port, for EC2, Route 53 and DynamoDB. */
export async function startMoto(): Promise<Moto> {
  const port = await freePort()
  // --pdeathsig: a test process that dies without running its exit handler takes its moto with it.
  const proc = startProcess('setpriv', ['--pdeathsig', 'KILL', '--', 'moto_server', '-H', '127.0.0.1', '-p', String(port)])
  await waitFor(`moto_server on port ${port}\n${proc.output()}`, () => portOpen(port), 30_000)
  const endpoint = `http://127.0.0.1:${port}`
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    stop: proc.stop,
    async reset() {
      const r = await fetch(`${endpoint}/moto-api/reset`, {method: 'POST'})
      if (!r.ok) throw new Error(`moto reset answered ${r.status}`)
    },
  }
}

let shared: Promise<Moto> | undefined

/**
 * This test process's moto_server, emptied: the first file that asks starts
 * it (a start costs seconds), every later one gets it reset to a new account
 * with nothing in it. `stop` only hands it back; the process's exit ends it.
 * Files in one process run one after another, so no two share it at once.
 */
export async function sharedMoto(): Promise<Moto> {
  const pending = (shared ??= startMoto())
  let moto: Moto
  try {
    moto = await pending
  } catch (error) {
    shared = undefined
    throw error
  }
  await moto.reset()
  return {...moto, stop: async () => undefined}
}

export const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c']

export function clusterYaml(name: string, zoneId: string, extra = ''): string {
  return `cluster: ${name}
provider: aws
region: us-east-1
proxy:
  engine: haproxy
  config: ./haproxy.cfg
  instances: {count: 3, zones: [${ZONES.join(', ')}], image: ami-12c6146b, type: t3.small}
addresses: {count: 3}
dns: {zone: example.com., name: www.example.com., ttl: 30, hostedZoneId: ${zoneId}}
health: {proxy: {type: ec2}}
${extra}`
}

/** A folder with a cluster file for `name` and a starter haproxy config. */
export async function clusterDir(name: string, zoneId: string, extra = ''): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hactl-aws-'))
  await writeFile(path.join(dir, 'hactl.yaml'), clusterYaml(name, zoneId, extra))
  await writeFile(path.join(dir, 'haproxy.cfg'), 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n')
  return dir
}

/** SDK clients of the test itself, to describe the cloud as it is. */
export function inspect(moto: Moto): {ec2: EC2Client; r53: Route53Client} {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  const config = {endpoint: moto.endpoint, region: 'us-east-1', credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}}
  return {ec2: new EC2Client(config), r53: new Route53Client(config)}
}

export async function createZone(r53: Route53Client, name = 'example.com.'): Promise<string> {
  const out = await r53.send(new CreateHostedZoneCommand({Name: name, CallerReference: `${name}-${Date.now()}-${Math.random()}`}))
  return (out.HostedZone?.Id ?? '').replace('/hostedzone/', '')
}

/** A cluster of `cluster` against this process's moto, with the test's own clients to describe the cloud. */
export interface MotoCluster {
  moto: Moto
  ec2: EC2Client
  r53: Route53Client
  zoneId: string
  /** The folder with hactl.yaml and haproxy.cfg; hactl runs there. */
  dir: string
  /** hactl in `dir`, against moto. */
  run: (...args: string[]) => Promise<CliResult>
  /** hactl with `--json`, its stdout parsed. */
  json: <T>(...args: string[]) => Promise<{code: number; body: T; stderr: string}>
}

/**
 * Before the describe block it is called in: an emptied moto, a hosted zone
 * for example.com. and a cluster folder (clusterYaml with `extra`). The
 * fields are filled in by then, so tests read them from the returned object.
 */
export function motoCluster(cluster: string, extra = ''): MotoCluster {
  const world = {} as MotoCluster
  world.run = async (...args) => hactl(args, {cwd: world.dir, env: world.moto.env})
  world.json = async <T>(...args: string[]) => {
    const r = await world.run(...args, '--json')
    return {code: r.code, body: JSON.parse(r.stdout) as T, stderr: r.stderr}
  }
  before(async () => {
    world.moto = await sharedMoto()
    ;({ec2: world.ec2, r53: world.r53} = inspect(world.moto))
    world.zoneId = await createZone(world.r53)
    world.dir = await clusterDir(cluster, world.zoneId, extra)
  })
  after(async () => world.moto?.stop())
  return world
}
