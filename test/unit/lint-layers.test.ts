import {expect} from 'chai'
import {Linter} from 'eslint'
import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import tseslint from 'typescript-eslint'

import {ROOT} from '../harness/cli.js'

type ConfigObject = Linter.Config
const {default: projectConfig, layerRules} = (await import(pathToFileURL(path.join(ROOT, 'eslint.config.js')).href)) as {default: ConfigObject[]; layerRules: ConfigObject}

// Parsed without type information: these rules read import statements only, and the linter stays fast.
const config: ConfigObject[] = [{files: ['**/*.ts'], languageOptions: {parser: tseslint.parser as Linter.Parser}}, layerRules]
const linter = new Linter({cwd: ROOT})

/** The layer findings for `code` as if it were the file at `file` (a path from the repository's root). */
function lint(file: string, code: string): {rule: string | null; message: string}[] {
  return linter
    .verify(code, config, path.join(ROOT, file))
    .filter((m) => m.ruleId?.startsWith('hactl/') || m.fatal)
    .map((m) => ({rule: m.ruleId, message: m.message}))
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(ROOT, dir), {withFileTypes: true, recursive: true})
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)))
}

describe('npm run lint keeps the imports pointing down', () => {
  it('is part of the config that npm run lint uses', () => {
    expect(projectConfig).to.include(layerRules)
  })

  it('fails on an upward import, type imports included', () => {
    const found = lint('src/cloud/aws/upward.ts', "import type {LeaseKeeper} from '../../monitor/lease.js'\nexport type Keeper = LeaseKeeper\n")
    expect(found).to.have.length(1)
    expect(found[0].rule).to.equal('hactl/layers')
    expect(found[0].message).to.include('cloud/aws/upward.ts imports monitor/lease.ts: monitor/ is a layer above cloud/')
  })

  it('passes a downward import, and one within the same folder', () => {
    const code = "import type {LeaseStore} from '../cloud/lease-store.js'\nimport type {Reporter} from '../events.js'\nimport {writeFileAtomic} from './atomic.js'\nexport type Both = [LeaseStore, Reporter, typeof writeFileAtomic]\n"
    expect(lint('src/monitor/downward.ts', code)).to.deep.equal([])
  })

  it('counts re-exports, dynamic imports and import() types as imports', () => {
    expect(lint('src/health/a.ts', "export {planFailover} from '../failover/planner.js'\n")).to.have.length(1)
    expect(lint('src/cloud/b.ts', "export async function f() {\n  return import('../sandbox/service.js')\n}\n")).to.have.length(1)
    expect(lint('src/remote/c.ts', "export type S = import('../services/status.js').StatusReport\n")).to.have.length(1)
  })

  it('keeps the places of one layer apart', () => {
    const [found] = lint('src/health/sibling.ts', "import type {Transport} from '../remote/transport.js'\nexport type T = Transport\n")
    expect(found.message).to.include('health/ and remote/ are one layer')
  })

  it('lets nothing import a command', () => {
    expect(lint('src/services/x.ts', "import Status from '../commands/status.js'\nexport default Status\n")).to.have.length(1)
    expect(lint('src/hooks/x.ts', "import Status from '../commands/status.js'\nexport default Status\n")).to.have.length(1)
  })

  it('lets ui/ import only the shared bottom, not the services it renders', () => {
    const [found] = lint('src/ui/view.ts', "import type {StatusReport} from '../services/status.js'\nexport type R = StatusReport\n")
    expect(found.message).to.include('ui/ imports only events.ts errors.ts diff.ts')
    expect(lint('src/services/x.ts', "import {renderTable} from '../ui/table.js'\nexport const t = renderTable\n")).to.have.length(1)
  })

  it('keeps the AWS SDK in cloud/aws/ and ssh2 in remote/', () => {
    const ec2 = "import {EC2Client} from '@aws-sdk/client-ec2'\nexport const c = EC2Client\n"
    expect(lint('src/services/doctor-like.ts', ec2).map((f) => f.rule)).to.deep.equal(['hactl/packages'])
    expect(lint('src/cloud/aws/client.ts', ec2)).to.deep.equal([])
    const ssh = "import {Client} from 'ssh2'\nexport const c = Client\n"
    expect(lint('src/sandbox/ssh-like.ts', ssh).map((f) => f.rule)).to.deep.equal(['hactl/packages'])
    expect(lint('src/remote/ssh-like.ts', ssh)).to.deep.equal([])
  })

  it('keeps the engines off every I/O layer', () => {
    expect(lint('src/proxy-config/haproxy/x.ts', "import type {Transport} from '../../remote/transport.js'\nexport type T = Transport\n")).to.have.length(1)
    expect(lint('src/proxy-config/x.ts', "import type {Provider} from '../cloud/provider.js'\nexport type P = Provider\n")).to.have.length(1)
  })

  it('keeps the planners free of I/O; types from an I/O module are fine', () => {
    expect(lint('src/failover/planner.ts', "import {readFile} from 'node:fs/promises'\nexport const r = readFile\n").map((f) => f.rule)).to.deep.equal(['hactl/pure'])
    expect(lint('src/firewall/planner.ts', "import {openProvider} from '../cloud/index.js'\nexport const o = openProvider\n").map((f) => f.rule)).to.deep.equal(['hactl/pure'])
    expect(lint('src/failover/planner.ts', "import type {Provider} from '../cloud/index.js'\nexport type P = Provider\n")).to.deep.equal([])
  })

  it('finds nothing in src/ as it stands', async function () {
    this.timeout(180_000)
    const findings: string[] = []
    for (const file of await sourceFiles('src')) {
      for (const f of lint(file, await readFile(path.join(ROOT, file), 'utf8'))) findings.push(`${file}: ${f.message}`)
    }
    expect(findings).to.deep.equal([])
  })
})
