/**
 * Every failure hactl reports on purpose is a HactlError: it carries the exit
 * code from DESIGN.md, a stable machine code, and what the user can do next.
 * Anything else that escapes a command is a bug and exits 1.
 */
export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  rejected: 3,
  partial: 4,
  unhealthy: 5,
  busy: 6,
  cloud: 7,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export interface SourceLocation {
  file: string
  line?: number
  col?: number
}

export interface HactlErrorOptions {
  /** What the user can try next, one sentence each. */
  actions?: string[]
  cause?: unknown
  location?: SourceLocation
  /** Extra machine-readable detail for --json output. */
  data?: Record<string, unknown>
}

export class HactlError extends Error {
  readonly code: string
  readonly exitCode: ExitCodeValue
  readonly actions: string[]
  readonly location?: SourceLocation
  readonly data?: Record<string, unknown>

  constructor(code: string, exitCode: ExitCodeValue, message: string, options: HactlErrorOptions = {}) {
    super(message, {cause: options.cause})
    this.name = new.target.name
    this.code = code
    this.exitCode = exitCode
    this.actions = options.actions ?? []
    this.location = options.location
    this.data = options.data
  }

  /** `file:line:col: message`, the form editors and CI annotators understand. */
  get located(): string {
    if (!this.location) return this.message
    const {col, file, line} = this.location
    const where = [file, line, line === undefined ? undefined : col].filter((p) => p !== undefined).join(':')
    return `${where}: ${this.message}`
  }
}

/** Bad flags or arguments. Exit 2, nothing changed. */
export class UsageError extends HactlError {
  constructor(message: string, options?: HactlErrorOptions) {
    super('usage', ExitCode.usage, message, options)
  }
}

/** A file hactl reads (cluster file, proxy config) is wrong at a place we can name. Exit 2. */
export class ConfigError extends HactlError {
  constructor(message: string, location: SourceLocation, options: Omit<HactlErrorOptions, 'location'> = {}) {
    super('config', ExitCode.usage, message, {...options, location})
  }
}

/** Several config problems at once, each with its place; the message lists them all. */
export class ConfigErrors extends HactlError {
  readonly problems: ConfigError[]

  constructor(problems: ConfigError[]) {
    super('config', ExitCode.usage, problems.map((p) => p.located).join('\n'), {
      location: problems[0]?.location,
      actions: [...new Set(problems.flatMap((p) => p.actions))],
      data: {problems: problems.map((p) => ({message: p.message, ...p.location}))},
    })
    this.problems = problems
  }

  /** The message already names every place. */
  override get located(): string {
    return this.message
  }
}

/** The proxy's own validator refused the change. Exit 3, nothing changed. */
export class ValidationRejectedError extends HactlError {
  constructor(message: string, options?: HactlErrorOptions) {
    super('rejected', ExitCode.rejected, message, options)
  }
}

/** Some hosts failed and were rolled back. Exit 4. */
export class PartialFailureError extends HactlError {
  constructor(message: string, options?: HactlErrorOptions) {
    super('partial', ExitCode.partial, message, options)
  }
}

/** Checks found failures that were not healed. Exit 5. */
export class UnhealthyError extends HactlError {
  constructor(message: string, options?: HactlErrorOptions) {
    super('unhealthy', ExitCode.unhealthy, message, options)
  }
}

/** A lock or lease is held by another actor. Exit 6. */
export class BusyError extends HactlError {
  constructor(message: string, options?: HactlErrorOptions) {
    super('busy', ExitCode.busy, message, options)
  }
}

/** The cloud API refused us or could not be reached (auth, throttling past the retry budget). Exit 7. */
export class CloudError extends HactlError {
  constructor(message: string, options?: HactlErrorOptions) {
    super('cloud', ExitCode.cloud, message, options)
  }
}

/** A step on a named host failed (connection, command, transfer). */
export class RemoteError extends HactlError {
  readonly host: string

  constructor(host: string, message: string, options?: HactlErrorOptions & {exitCode?: ExitCodeValue}) {
    super('remote', options?.exitCode ?? ExitCode.unexpected, `${host}: ${message}`, {
      ...options,
      data: {...options?.data, host},
    })
    this.host = host
  }
}

export function isHactlError(error: unknown): error is HactlError {
  return error instanceof HactlError
}
