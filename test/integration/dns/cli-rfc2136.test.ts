import {randomBytes} from 'node:crypto'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {hactl, type CliResult} from '../../harness/cli.js'
import {startNamed, type Named, type NamedKey} from '../../harness/named.js'
import {freePort} from '../../harness/ports.js'

const NAME = 'www.example.test.'

interface DnsJson {
  provider: string
  changed: boolean
  drift: boolean
  live: string[]
  expected: string[]
  dryRun?: {calls: string[]}
}

/**
 * `dns.provider: rfc2136` through the built CLI, against a real BIND: a static
 * cluster (no cloud at all) publishes its hosts' addresses to the server the
 * cluster file names, signed with a TSIG key read from a file or a variable.
 */
describe('dns show / publish with dns.provider rfc2136, against a real named', function () {
  this.timeout(120_000)
  let named: Named
  let dir: string
  let key: (name: string) => NamedKey

  const clusterFile = async (file: string, dns: string[], hosts = ['192.0.2.1', '192.0.2.2']): Promise<string> => {
    const text = [
      'cluster: web',
      'provider: static',
      'proxy: {config: ./haproxy.cfg}',
      'hosts:',
      ...hosts.map((address, i) => `  - {name: lb${i + 1}, address: ${address}}`),
      'dns:',
      ...dns.map((line) => `  ${line}`),
      '',
    ].join('\n')
    const full = path.join(dir, file)
    await writeFile(full, text)
    return full
  }
  const rfc2136 = (tsig: string[], port = named.port): string[] => [
    'provider: rfc2136',
    'server: 127.0.0.1',
    `port: ${port}`,
    'zone: example.test.',
    `name: ${NAME}`,
    'ttl: 30',
    'timeout: 500ms',
    'tries: 2',
    'tsig:',
    ...tsig.map((line) => `  ${line}`),
  ]
  const keyFile = async (file: string, k: {name: string; algorithm: string; secret: string}): Promise<void> => {
    // As tsig-keygen prints it: the same file named.conf includes.
    await writeFile(path.join(dir, file), `key "${k.name}" {\n\talgorithm ${k.algorithm};\n\tsecret "${k.secret}";\n};\n`, {mode: 0o600})
  }
  const run = (file: string, ...args: string[]): Promise<CliResult> => hactl([...args, '-c', file], {cwd: dir})
  const json = async (file: string, ...args: string[]): Promise<{code: number; body: DnsJson; raw: CliResult}> => {
    const raw = await run(file, ...args, '--json')
    return {code: raw.code, body: JSON.parse(raw.stdout) as DnsJson, raw}
  }
  const noSecret = (r: CliResult): void => {
    for (const k of named.keys) {
      expect(r.stdout + r.stderr).not.to.contain(k.secret)
    }
  }

  before(async () => {
    named = await startNamed({
      keys: [
        {name: 'hactl-test', algorithm: 'hmac-sha256', mayUpdate: true},
        {name: 'viewer', algorithm: 'hmac-sha256', mayUpdate: false},
      ],
    })
    key = (name) => named.keys.find((k) => k.name === name) as NamedKey
    dir = await mkdtemp(path.join(tmpdir(), 'hactl-dns-cli-'))
    await writeFile(path.join(dir, 'haproxy.cfg'), 'global\n')
    await keyFile('hactl.key', key('hactl-test'))
  })

  after(async () => {
    await named?.stop()
    if (dir) await rm(dir, {recursive: true, force: true})
  })

  it('publish --dry-run prints the signed UPDATE as nsupdate commands and changes nothing; publish then show and dig see the set; a re-run writes nothing', async () => {
    const file = await clusterFile('good.yaml', rfc2136(['keyName: hactl-test', 'secretFile: ./hactl.key']))

    const before = await run(file, 'dns', 'show')
    expect(before.code, before.stdout + before.stderr).to.equal(5)
    expect(before.stdout).to.contain('+ missing 192.0.2.1').and.to.contain('drift: run `hactl dns publish`')

    const dry = await run(file, 'dns', 'publish', '--dry-run')
    expect(dry.code, dry.stdout + dry.stderr).to.equal(0)
    expect(dry.stdout).to.contain(
      [
        'would send this update (as nsupdate commands):',
        '; signed with TSIG key hactl-test (hmac-sha256)',
        `server 127.0.0.1 ${named.port}`,
        'zone example.test.',
        `prereq nxrrset ${NAME} IN A`,
        `update delete ${NAME} IN A`,
        `update add ${NAME} 30 IN A 192.0.2.1`,
        `update add ${NAME} 30 IN A 192.0.2.2`,
        'send',
      ].join('\n'),
    )
    noSecret(dry)
    const dryJson = await json(file, 'dns', 'publish', '--dry-run')
    expect(dryJson.body).to.include({provider: 'rfc2136', changed: false})
    expect(dryJson.body.dryRun?.calls).to.include(`update add ${NAME} 30 IN A 192.0.2.2`)
    expect((await named.lookup(NAME)).values).to.deep.equal([])

    const publish = await run(file, 'dns', 'publish')
    expect(publish.code, publish.stdout + publish.stderr).to.equal(0)
    expect(publish.stdout).to.contain(`published ${NAME} A 192.0.2.1 192.0.2.2 (ttl 30)`)
    noSecret(publish)
    expect(await named.lookup(NAME)).to.deep.equal({values: ['192.0.2.1', '192.0.2.2'], ttl: 30})

    const show = await json(file, 'dns', 'show')
    expect(show.code).to.equal(0)
    expect(show.body).to.include({provider: 'rfc2136', drift: false})
    expect(show.body.live).to.deep.equal(['192.0.2.1', '192.0.2.2'])

    const again = await json(file, 'dns', 'publish')
    expect(again.code).to.equal(0)
    expect(again.body).to.include({changed: false, drift: false})
  })

  it('a host dropped from the cluster file: the next publish replaces the set whole, guarded by what it read', async () => {
    const file = await clusterFile('fewer.yaml', rfc2136(['keyName: hactl-test', 'secretFile: ./hactl.key']), ['192.0.2.2', '192.0.2.3'])
    const dry = await run(file, 'dns', 'publish', '--dry-run')
    expect(dry.stdout).to.contain(`prereq yxrrset ${NAME} IN A 192.0.2.1\nprereq yxrrset ${NAME} IN A 192.0.2.2\n`)
    const publish = await run(file, 'dns', 'publish')
    expect(publish.code, publish.stdout + publish.stderr).to.equal(0)
    expect((await named.lookup(NAME)).values).to.deep.equal(['192.0.2.2', '192.0.2.3'])
  })

  it('the secret can come from the environment variable the cluster file names; unset, it is exit 2 naming the variable', async () => {
    const file = await clusterFile('env.yaml', rfc2136(['keyName: hactl-test', 'secretEnv: HACTL_TEST_TSIG']))
    const unset = await hactl(['dns', 'show', '-c', file], {cwd: dir, env: {HACTL_TEST_TSIG: ''}})
    expect(unset.code, unset.stdout + unset.stderr).to.equal(2)
    expect(unset.stderr).to.contain('the environment variable HACTL_TEST_TSIG, which should hold the TSIG secret for key hactl-test, is not set')
    const set = await hactl(['dns', 'publish', '-c', file], {cwd: dir, env: {HACTL_TEST_TSIG: key('hactl-test').secret}})
    expect(set.code, set.stdout + set.stderr).to.equal(0)
    expect((await named.lookup(NAME)).values).to.deep.equal(['192.0.2.1', '192.0.2.2'])
    noSecret(set)
  })

  it('a wrong secret: exit 7, says the signature was rejected, never shows either secret, and the record is unchanged', async () => {
    const wrong = randomBytes(32).toString('base64')
    await keyFile('wrong.key', {...key('hactl-test'), secret: wrong})
    const file = await clusterFile('wrong.yaml', rfc2136(['keyName: hactl-test', 'secretFile: ./wrong.key']), ['192.0.2.7'])
    const before = await named.lookup(NAME)
    const r = await run(file, 'dns', 'publish')
    expect(r.code, r.stdout + r.stderr).to.equal(7)
    expect(r.stderr).to.contain(`the DNS server 127.0.0.1:${named.port} rejected the signature of TSIG key hactl-test: its secret differs from the server's`)
    expect(r.stdout + r.stderr).not.to.contain(wrong)
    noSecret(r)
    expect(await named.lookup(NAME)).to.deep.equal(before)
    for (const flag of ['--json', '--verbose']) {
      const again = await run(file, 'dns', 'publish', flag)
      expect(again.code).to.equal(7)
      expect(again.stdout + again.stderr).not.to.contain(wrong)
      noSecret(again)
    }
  })

  it('a key the zone does not let update the name: exit 7, says which update-policy would allow it, record unchanged', async () => {
    await keyFile('viewer.key', key('viewer'))
    const file = await clusterFile('refused.yaml', rfc2136(['keyName: viewer', 'secretFile: ./viewer.key']), ['192.0.2.8'])
    const before = await named.lookup(NAME)
    const r = await run(file, 'dns', 'publish')
    expect(r.code, r.stdout + r.stderr).to.equal(7)
    expect(r.stderr).to.contain(`refused the update of ${NAME} in zone example.test. signed with TSIG key viewer; nothing was changed`)
    expect(r.stderr).to.contain(`grant viewer name ${NAME} A;`)
    noSecret(r)
    expect(await named.lookup(NAME)).to.deep.equal(before)
  })

  it('a server that does not answer: exit 7 within the configured tries, naming the server, record elsewhere untouched', async () => {
    const port = await freePort()
    const file = await clusterFile('unreachable.yaml', rfc2136(['keyName: hactl-test', 'secretFile: ./hactl.key'], port), ['192.0.2.9'])
    const started = Date.now()
    const r = await run(file, 'dns', 'publish')
    expect(r.code, r.stdout + r.stderr).to.equal(7)
    expect(r.stderr).to.contain(`no answer from the DNS server 127.0.0.1:${port}`)
    noSecret(r)
    expect(Date.now() - started).to.be.below(30_000)
    expect((await named.lookup(NAME)).values).not.to.include('192.0.2.9')
  })

  it('a static host given by name: the record needs IPv4 addresses, so publish says which host, exit 2, nothing changed', async () => {
    const file = await clusterFile('named-host.yaml', rfc2136(['keyName: hactl-test', 'secretFile: ./hactl.key']), ['192.0.2.1', 'lb2.example.net'])
    const before = await named.lookup(NAME)
    const r = await run(file, 'dns', 'publish')
    expect(r.code, r.stdout + r.stderr).to.equal(2)
    expect(r.stderr).to.contain('host lb2 is reached at lb2.example.net, not an IPv4 address')
    expect(await named.lookup(NAME)).to.deep.equal(before)
  })

  it('a static cluster that names no dns.provider: the dns commands say what to set, exit 2', async () => {
    const file = await clusterFile('none.yaml', ['zone: example.test.', `name: ${NAME}`])
    for (const verb of ['show', 'publish']) {
      const r = await run(file, 'dns', verb)
      expect(r.code, r.stdout + r.stderr).to.equal(2)
      expect(r.stderr).to.contain('provider static has no DNS of its own: set dns.provider')
      expect(r.stderr).to.contain('route53').and.to.contain('rfc2136')
    }
  })
})
