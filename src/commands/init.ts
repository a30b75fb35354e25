import {Flags} from '@oclif/core'

import {HactlCommand} from '../base-command.js'
import {ENGINES, PROVIDERS, type EngineName, type ProviderKind} from '../cluster/schema.js'
import {initCluster, type InitResult} from '../services/init.js'
import type {ClusterAnswers} from '../services/starters.js'

export default class Init extends HactlCommand<typeof Init> {
  static override summary = 'Write a cluster file and a starter proxy config.'
  static override description = `On a terminal it asks for what it needs. In scripts pass the answers as flags with --yes.
It refuses to overwrite existing files unless --force is given.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --yes --provider local --engine haproxy',
    '<%= config.bin %> <%= command.id %> --yes --provider static --engine nginx --hosts lb1.example.net,lb2.example.net',
    '<%= config.bin %> <%= command.id %> --yes --provider aws --region eu-west-1 --zones eu-west-1a,eu-west-1b,eu-west-1c --dns-name www.example.com. --dns-zone example.com.',
  ]

  static override flags = {
    name: Flags.string({summary: 'Cluster name (tags every cloud resource).', default: 'web'}),
    provider: Flags.string({summary: 'Where the proxies run.', options: [...PROVIDERS]}),
    engine: Flags.string({summary: 'Proxy software.', options: [...ENGINES]}),
    zones: Flags.string({summary: 'Availability zones, comma-separated (aws).'}),
    hosts: Flags.string({summary: 'Proxy host addresses, comma-separated (static).'}),
    'dns-name': Flags.string({summary: 'The round-robin record, e.g. www.example.com.'}),
    'dns-zone': Flags.string({summary: 'Its hosted zone, e.g. example.com.'}),
    'ssh-user': Flags.string({summary: 'SSH user on the proxies.'}),
    force: Flags.boolean({summary: 'Overwrite existing files.'}),
  }

  public async run(): Promise<InitResult> {
    const answers = this.canPrompt ? await this.ask() : this.fromFlags()
    const result = await initCluster({
      clusterFile: this.flags.cluster,
      answers,
      force: this.flags.force,
      dryRun: this.flags['dry-run'],
    })
    const verb = result.dryRun ? 'would write' : 'wrote'
    for (const f of result.written) this.log(`${verb} ${f.path} (${f.bytes} bytes)`)
    if (!result.dryRun) this.log(`Next: edit them, then run \`${this.config.bin} validate\` and \`${this.config.bin} doctor\`.`)
    return result
  }

  /** The answers as flags give them; `strict` refuses what a script must pass explicitly. */
  private fromFlags(strict = true): ClusterAnswers {
    const list = (v?: string): string[] => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : [])
    const region = this.flags.region ?? 'us-east-1'
    const provider = (this.flags.provider ?? 'local') as ProviderKind
    if (strict && provider === 'static' && !this.flags.hosts) this.requireFlag('--hosts a,b,c', 'a host list for provider static')
    return {
      name: this.flags.name,
      provider,
      engine: (this.flags.engine ?? 'haproxy') as EngineName,
      region,
      zones: list(this.flags.zones).length > 0 ? list(this.flags.zones) : ['a', 'b', 'c'].map((z) => `${region}${z}`),
      hosts: list(this.flags.hosts),
      dnsName: this.flags['dns-name'],
      dnsZone: this.flags['dns-zone'],
      sshUser: this.flags['ssh-user'],
    }
  }

  private async ask(): Promise<ClusterAnswers> {
    const {input, select} = await import('@inquirer/prompts')
    const defaults = this.fromFlags(false)
    const name = await input({message: 'Cluster name', default: defaults.name})
    const provider = await select<ProviderKind>({
      message: 'Where do the proxies run?',
      default: defaults.provider,
      choices: [
        {value: 'local', name: 'local: a sandbox on this machine (no cloud account)'},
        {value: 'aws', name: 'aws: EC2 instances, Elastic IPs, Route 53'},
        {value: 'static', name: 'static: hosts I already run, reached over SSH'},
      ],
    })
    const engine = await select<EngineName>({message: 'Proxy software', default: defaults.engine, choices: ENGINES.map((e) => ({value: e}))})
    const answers: ClusterAnswers = {...defaults, name, provider, engine}
    if (provider === 'aws') {
      answers.region = await input({message: 'AWS region', default: defaults.region})
      const zones = await input({message: 'Zones (comma-separated)', default: ['a', 'b', 'c'].map((z) => `${answers.region}${z}`).join(',')})
      answers.zones = zones.split(',').map((z) => z.trim())
    }
    if (provider === 'static') {
      const hosts = await input({message: 'Proxy hosts (comma-separated)', required: true})
      answers.hosts = hosts.split(',').map((h) => h.trim())
    }
    if (provider !== 'local') {
      answers.sshUser = await input({message: 'SSH user', default: 'admin'})
      const dnsName = await input({message: 'DNS name to publish (blank: none)', default: ''})
      if (dnsName) {
        answers.dnsName = dnsName
        answers.dnsZone = await input({message: 'Hosted zone', default: dnsName.split('.').slice(1).join('.')})
      }
    }
    return answers
  }
}
