import {RunInstancesCommand, TerminateInstancesCommand} from '@aws-sdk/client-ec2'
import {expect} from 'chai'
import {chmod, mkdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {hactl} from '../../harness/cli.js'
import {sharedMoto, type Moto} from '../../harness/moto.js'
import {clusterDir, createZone, inspect} from './helpers.js'

const CONFIG = `global
    log stdout format raw local0

defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend www
    bind 127.0.0.1:18480
    default_backend app

backend app
    balance roundrobin
    server stale 10.255.0.9:8080 check
`

describe('backend sync against moto', function () {
  this.timeout(90_000)
  let moto: Moto
  let dir: string

  before(async () => {
    moto = await sharedMoto()
    dir = await clusterDir('shop', await createZone(inspect(moto).r53), 'backends: {app: {port: 8080}}\n')
    await writeFile(path.join(dir, 'haproxy.cfg'), CONFIG)
  })
  after(async () => moto?.stop())

  /** A backend instance of `cluster`'s backend app; the port from its hactl:port tag when given. */
  async function launch(cluster: string, port?: string): Promise<string> {
    const {ec2} = inspect(moto)
    const tags = [{Key: 'hactl:cluster', Value: cluster}, {Key: 'hactl:backend', Value: 'app'}, ...(port ? [{Key: 'hactl:port', Value: port}] : [])]
    const out = await ec2.send(new RunInstancesCommand({ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, TagSpecifications: [{ResourceType: 'instance', Tags: tags}]}))
    return out.Instances?.[0].InstanceId as string
  }

  /** A PATH whose `haproxy` logs each run to a file and then runs the real one: how many validations a command made. */
  async function countingHaproxy(dir: string): Promise<{env: Record<string, string>; runs: () => Promise<number>}> {
    const bin = path.join(dir, 'bin')
    const log = path.join(dir, 'haproxy-runs')
    await mkdir(bin, {recursive: true})
    await writeFile(path.join(bin, 'haproxy'), `#!/bin/sh\necho "run $*" >> '${log}'\nPATH='${process.env.PATH}' exec haproxy "$@"\n`)
    await chmod(path.join(bin, 'haproxy'), 0o755)
    await writeFile(log, '')
    return {
      env: {...moto.env, PATH: `${bin}:${process.env.PATH}`},
      runs: async () => (await readFile(log, 'utf8')).split('\n').filter(Boolean).length,
    }
  }

  it('makes backend app list exactly the instances tagged hactl:cluster=shop and hactl:backend=app, checked by one haproxy -c; a re-run changes nothing', async () => {
    const {ec2} = inspect(moto)
    const first = await launch('shop')
    const second = await launch('shop', '9000')
    // Same backend name, another cluster in the same account: never ours.
    const foreign = await launch('other')

    const dry = await hactl(['backend', 'sync', '--dry-run'], {cwd: dir, env: moto.env})
    expect(dry.code, dry.stderr).to.equal(0)
    expect(dry.stdout).to.include('-    server stale 10.255.0.9:8080 check')
    expect(await readFile(path.join(dir, 'haproxy.cfg'), 'utf8')).to.equal(CONFIG)

    const haproxy = await countingHaproxy(dir)
    const r = await hactl(['backend', 'sync', '--no-push', '--json'], {cwd: dir, env: haproxy.env})
    expect(r.code, r.stderr).to.equal(0)
    expect(await haproxy.runs(), `two adds and a removal: one validation\n${await readFile(path.join(dir, 'haproxy-runs'), 'utf8')}`).to.equal(1)
    const text = await readFile(path.join(dir, 'haproxy.cfg'), 'utf8')
    expect(text).to.not.include('stale')
    expect(text).to.not.include(foreign)
    expect(text).to.match(new RegExp(`server ${first} [\\d.]+:8080`))
    expect(text).to.match(new RegExp(`server ${second} [\\d.]+:9000`))
    expect(text.startsWith(CONFIG.slice(0, CONFIG.indexOf('backend app')))).to.equal(true)

    const again = await hactl(['backend', 'sync', '--no-push'], {cwd: dir, env: moto.env})
    expect(again.code).to.equal(0)
    expect(again.stdout).to.include('already matches')

    await ec2.send(new TerminateInstancesCommand({InstanceIds: [first, second, foreign]}))
    const empty = await hactl(['backend', 'sync', '--no-push'], {cwd: dir, env: moto.env})
    expect(empty.code, 'no instance left: exit 5, servers kept').to.equal(5)
    expect(await readFile(path.join(dir, 'haproxy.cfg'), 'utf8')).to.equal(text)
  })

  it('a sync on a cluster with no running proxies writes nothing and exits 2', async () => {
    const lonely = await clusterDir('lonely', await createZone(inspect(moto).r53, 'lonely.example.com.'), 'backends: {app: {port: 8080}}\n')
    await writeFile(path.join(lonely, 'haproxy.cfg'), CONFIG)
    const id = await launch('lonely')
    const r = await hactl(['backend', 'sync'], {cwd: lonely, env: moto.env})
    expect(r.code, r.stderr).to.equal(2)
    expect(r.stderr).to.include('no running proxies').and.include('nothing was edited')
    expect(await readFile(path.join(lonely, 'haproxy.cfg'), 'utf8')).to.equal(CONFIG)
    // Without the rollout it goes through.
    const only = await hactl(['backend', 'sync', '--no-push'], {cwd: lonely, env: moto.env})
    expect(only.code, only.stderr).to.equal(0)
    expect(await readFile(path.join(lonely, 'haproxy.cfg'), 'utf8')).to.include(`server ${id} `)
    await inspect(moto).ec2.send(new TerminateInstancesCommand({InstanceIds: [id]}))
  })

  it('on a config haproxy already rejects, the whole sync is one edit: one warning, not one per server', async () => {
    const broken = await clusterDir('broken', await createZone(inspect(moto).r53, 'broken.example.com.'), 'backends: {app: {port: 8080}}\n')
    const rejected = CONFIG.replace('defaults\n', 'defaults\n    bogus-keyword on\n')
    await writeFile(path.join(broken, 'haproxy.cfg'), rejected)
    const ids = [await launch('broken'), await launch('broken'), await launch('broken')]
    const r = await hactl(['backend', 'sync', '--no-push'], {cwd: broken, env: moto.env})
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr.match(/already rejected/g), r.stderr).to.have.length(1)
    const text = await readFile(path.join(broken, 'haproxy.cfg'), 'utf8')
    for (const id of ids) expect(text).to.include(`server ${id} `)
    await inspect(moto).ec2.send(new TerminateInstancesCommand({InstanceIds: ids}))
  })
})
