/**
 * What hactl knows about an engine besides its parser, in one place per
 * engine (`<engine>/descriptor.ts`): how to tell its files, where it lives on
 * a host and how it is checked and reloaded there, how to install it, its
 * binary and validator, and the config `hactl init` starts from. A
 * descriptor holds data and a lazy loader only, so telling a file's engine
 * or listing the engines loads no parser.
 */
import type {EngineName} from '../cluster/schema.js'
import type {Engine} from './engine.js'

export interface EngineHostDefaults {
  remotePath: string
  /** Where a Debian-like host's packaged proxy (and its syslog) writes requests. */
  accessLog: string
  reload: string
  /** `{file}` is the uploaded candidate; none when the proxy has no checker that runs on a host. */
  validate?: string
  check: string
}

export interface EngineDescriptor {
  name: EngineName
  /** How sure the engine is that a file is its config, from the name and the text alone (0–1). */
  detect(file: string, text: string): number
  /** Where it usually lives on a Debian-like host, and how it is checked and reloaded there. */
  host: EngineHostDefaults
  /** What cloud-init installs and enables on a new proxy instance. */
  packages: {apt: string; rpm: string; service: string}
  /** The proxy's own program, looked for on PATH (`hactl doctor`). */
  binary: string
  /** The proxy's own validator as `hactl validate` names it; none: the structure is the check. */
  validator?: string
  /** The config `hactl init` writes: one frontend on :80, one backend `web`, a health endpoint. */
  starter: {file: string; text: string}
  /** The parser and editor, loaded on first use. */
  load(): Promise<Engine>
}
