import {Flags} from '@oclif/core'

import {HactlCommand} from '../base-command.js'
import {ExitCode} from '../errors.js'
import {LOG_FORMATS} from '../logs/format.js'
import {readLogs, type LogsReport} from '../services/logs.js'
import {passphrasePrompt} from '../command-support/remote-flags.js'

export default class Logs extends HactlCommand<typeof Logs> {
  static override summary = "Every proxy's access log as one stream in time order, in Apache combined format."
  static override description = `Reads each proxy's access log over its transport (proxy.accessLog in the cluster file, or the engine's usual path), parses the engine's format (haproxy option httplog, nginx combined or the config's log_format, pound), merges the proxies' lines by time and prints them.
Lines that are not access-log lines are counted on stderr (-v shows them), never dropped silently.
Exit 4 when some proxy's log could not be read.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --since 15m',
    '<%= config.bin %> <%= command.id %> -f --status 5xx',
    '<%= config.bin %> <%= command.id %> --proxies lb1,lb2 --backend web --format json',
    '<%= config.bin %> <%= command.id %> -f -c sandbox/hactl.yaml',
  ]

  // Output is a stream of lines; --format json gives JSON lines.
  static override enableJsonFlag = false

  static override flags = {
    since: Flags.string({summary: 'Only requests from this long ago (15m, 2h) or this ISO 8601 time on.'}),
    until: Flags.string({summary: 'Only requests up to this long ago or this ISO 8601 time.'}),
    follow: Flags.boolean({char: 'f', summary: 'Keep printing new requests as the proxies log them (survives log rotation).'}),
    proxies: Flags.string({summary: 'Only these proxies, comma-separated names (default: all).', delimiter: ',', multiple: true}),
    backend: Flags.string({summary: 'Only requests this backend served.'}),
    status: Flags.string({summary: 'Only these statuses: a class (5xx), a code (404), or a list (4xx,503).'}),
    format: Flags.string({summary: 'How to print each request.', options: [...LOG_FORMATS], default: 'combined'}),
    window: Flags.string({summary: 'How late or out of place a line may be and still take its place in time order.', default: '2s'}),
    'accept-new': Flags.boolean({summary: 'Record the host key of a host never seen before in known_hosts (a changed key is still refused).'}),
  }

  public async run(): Promise<LogsReport> {
    const stop = new AbortController()
    const end = (): void => stop.abort()
    // on, not once: a second SIGINT while the streams close is handled too, not left to Node's default.
    process.on('SIGINT', end)
    process.on('SIGTERM', end)
    const report = await readLogs(await this.cluster(), {
      since: this.flags.since,
      until: this.flags.until,
      follow: this.flags.follow,
      proxies: this.flags.proxies,
      backend: this.flags.backend,
      status: this.flags.status,
      format: this.flags.format as (typeof LOG_FORMATS)[number],
      window: this.flags.window,
      write: (chunk) => process.stdout.write(Buffer.from(chunk)),
      signal: stop.signal,
      acceptNew: this.flags['accept-new'],
      askPassphrase: passphrasePrompt(this.canPrompt),
    })
    process.off('SIGINT', end)
    process.off('SIGTERM', end)
    const say = (text: string): void => void process.stderr.write(`${text}\n`)
    for (const f of report.failed) say(`${f.proxy}: cannot read ${f.path}: ${f.message}`)
    if (report.unparsed > 0) say(`${report.unparsed} line(s) were not access-log lines${this.flags.verbose ? ':' : ' (-v shows them)'}`)
    if (this.flags.verbose) for (const u of report.unparsedLines) say(`  ${u.proxy}: ${u.line}`)
    if (report.late > 0) say(`${report.late} line(s) arrived later than --window and are printed out of time order`)
    return this.finish(report, report.failed.length > 0 ? ExitCode.partial : ExitCode.ok)
  }
}
