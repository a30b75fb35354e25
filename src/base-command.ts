import {Command, Flags, type Interfaces} from '@oclif/core'

import type {Cluster} from './cluster/loader.js'
import {ExitCode, HactlError, UsageError} from './errors.js'
import {describeError} from './ui/errors.js'
import {lineReporter, silentReporter, type Reporter} from './events.js'
import {detectTerminal, type Terminal} from './ui/terminal.js'

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof HactlCommand)['baseFlags'] & T['flags']>
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Every hactl command extends this: the global flags, --json, the cluster
 * file, the terminal and the mapping of errors to exit codes live here once.
 */
export abstract class HactlCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    cluster: Flags.string({
      char: 'c',
      summary: 'Cluster file.',
      default: './hactl.yaml',
      env: 'HACTL_CLUSTER',
      helpGroup: 'GLOBAL',
    }),
    'dry-run': Flags.boolean({summary: 'Print the exact plan and change nothing.', helpGroup: 'GLOBAL'}),
    yes: Flags.boolean({char: 'y', summary: 'Answer yes to every prompt (implied when stdin is not a TTY).', helpGroup: 'GLOBAL'}),
    profile: Flags.string({summary: 'AWS profile to use.', env: 'AWS_PROFILE', helpGroup: 'GLOBAL'}),
    region: Flags.string({summary: 'AWS region (overrides the cluster file).', helpGroup: 'GLOBAL'}),
    color: Flags.boolean({
      summary: 'Colour the output (on a TTY, unless NO_COLOR is set).',
      allowNo: true,
      default: true,
      helpGroup: 'GLOBAL',
    }),
    verbose: Flags.boolean({char: 'v', summary: 'Say more; show stack traces of unexpected errors.', helpGroup: 'GLOBAL'}),
  }

  protected flags!: CommandFlags<T>
  protected args!: CommandArgs<T>
  protected terminal!: Terminal

  public override async init(): Promise<void> {
    await super.init()
    const {args, flags} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof HactlCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as CommandFlags<T>
    this.args = args as CommandArgs<T>
    this.terminal = detectTerminal({color: this.flags.color})
  }

  /** Progress and warnings go to stderr as plain lines; nothing under --json. */
  protected get reporter(): Reporter {
    return this.jsonEnabled() ? silentReporter : lineReporter({verbose: this.flags.verbose})
  }

  /** Prompts are allowed only on a TTY and never with --yes. */
  protected get canPrompt(): boolean {
    return this.terminal.interactive && !this.flags.yes && !this.jsonEnabled()
  }

  private loaded?: Promise<Cluster>

  /**
   * The one way a command gets its cluster: the file read once, with
   * --region and --profile applied once (see withOverrides); services are
   * handed this value and never read the file themselves.
   */
  protected cluster(): Promise<Cluster> {
    this.loaded ??= (async () => {
      // Loaded here, not at the top: yaml and zod cost a command that never reads the cluster file (--file, --help) its start-up.
      const {loadCluster, withOverrides} = await import('./cluster/loader.js')
      return withOverrides(await loadCluster(this.flags.cluster), {region: this.flags.region, profile: this.flags.profile})
    })()
    return this.loaded
  }

  /**
   * Ask before a destructive step. Off a TTY, or with --yes, there is no one
   * to ask: --yes proceeds, a pipe without --yes proceeds too (scripts pass
   * --yes by convention, and stdin not being a TTY implies it).
   */
  protected async confirm(message: string): Promise<boolean> {
    if (!this.canPrompt) return true
    const {confirm} = await import('@inquirer/prompts')
    return confirm({message, default: false})
  }

  /** Refuse a prompt in a non-interactive run: say which flag to pass instead. */
  protected requireFlag(flag: string, what: string): never {
    throw new UsageError(`${what} is required`, {actions: [`Pass ${flag}.`]})
  }

  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<void> {
    const described = describeError(error)
    if (this.jsonEnabled()) {
      this.logJson({error: described.json})
    } else {
      process.stderr.write(described.text(this.terminal ?? detectTerminal(), Boolean(this.flags?.verbose)))
    }
    this.exit(described.exitCode)
  }

  /** Exit with a code after a result was printed (e.g. 5 when checks failed). */
  protected finish<R>(result: R, exitCode: number): R {
    if (exitCode !== ExitCode.ok) process.exitCode = exitCode
    return result
  }
}

export {HactlError}
