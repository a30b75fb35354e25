import {RunInstancesCommand, TerminateInstancesCommand} from '@aws-sdk/client-ec2'
import {expect} from 'chai'
import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {hactl} from '../../harness/cli.js'
import {startMoto, type Moto} from '../../harness/moto.js'
import {clusterDir, createZone, inspect} from './helpers.js'

const CONFIG = `global
    log stdout format raw local0

defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend www
    bind 127.0.0.1:0
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
    moto = await startMoto()
    dir = await clusterDir('shop', await createZone(inspect(moto).r53), 'backends: {app: {port: 8080}}\n')
    await writeFile(path.join(dir, 'haproxy.cfg'), CONFIG)
  })
  after(async () => moto?.stop())

  it('makes backend app list exactly the instances tagged hactl:backend=app, checked by haproxy -c; a re-run changes nothing', async () => {
    const {ec2} = inspect(moto)
    const launch = async (port?: string): Promise<string> => {
      const tags = [{Key: 'hactl:backend', Value: 'app'}, ...(port ? [{Key: 'hactl:port', Value: port}] : [])]
      const out = await ec2.send(new RunInstancesCommand({ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, TagSpecifications: [{ResourceType: 'instance', Tags: tags}]}))
      return out.Instances?.[0].InstanceId as string
    }
    const first = await launch()
    const second = await launch('9000')

    const dry = await hactl(['backend', 'sync', '--dry-run'], {cwd: dir, env: moto.env})
    expect(dry.code, dry.stderr).to.equal(0)
    expect(dry.stdout).to.include('-    server stale 10.255.0.9:8080 check')
    expect(await readFile(path.join(dir, 'haproxy.cfg'), 'utf8')).to.equal(CONFIG)

    const r = await hactl(['backend', 'sync', '--no-push', '--json'], {cwd: dir, env: moto.env})
    expect(r.code, r.stderr).to.equal(0)
    const text = await readFile(path.join(dir, 'haproxy.cfg'), 'utf8')
    expect(text).to.not.include('stale')
    expect(text).to.match(new RegExp(`server ${first} [\\d.]+:8080`))
    expect(text).to.match(new RegExp(`server ${second} [\\d.]+:9000`))
    expect(text.startsWith(CONFIG.slice(0, CONFIG.indexOf('backend app')))).to.equal(true)

    const again = await hactl(['backend', 'sync', '--no-push'], {cwd: dir, env: moto.env})
    expect(again.code).to.equal(0)
    expect(again.stdout).to.include('already matches')

    await ec2.send(new TerminateInstancesCommand({InstanceIds: [first, second]}))
    const empty = await hactl(['backend', 'sync', '--no-push'], {cwd: dir, env: moto.env})
    expect(empty.code, 'no instance left: exit 5, servers kept').to.equal(5)
    expect(await readFile(path.join(dir, 'haproxy.cfg'), 'utf8')).to.equal(text)
  })
})
