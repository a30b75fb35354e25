import {readFile, stat} from 'node:fs/promises'
import path from 'node:path'

import type {Cluster} from '../cluster/loader.js'
import {ConfigError, ValidationRejectedError} from '../errors.js'
import type {Engine, ValidationResult} from '../proxy-config/engine.js'
import {loadEngine} from '../proxy-config/registry.js'
import {ENGINE_DESCRIPTORS} from '../proxy-config/descriptors.js'
import '../proxy-config/engines.js'
import {TLS_DIR} from '../proxy-config/tls.js'
import {complaints} from './config-edit.js'

export interface ValidateReport {
  cluster: string
  provider: string
  engine: string
  proxyConfig: string
  /** What passed: the cluster file, the engine's parser, the proxy's own validator. */
  checks: string[]
  /** The proxy's own validator when it could not run here, and why: the config was not fully checked. */
  skipped?: {validator: string; reason: string}
}

/**
 * Check the cluster file and the proxy config source it names, the config
 * with the proxy's own validator when its binary is here. Throws with
 * file:line on a broken file, and ValidationRejectedError (exit 3) with the
 * validator's own lines when it rejects the config.
 */
export async function validateCluster(cluster: Cluster): Promise<ValidateReport> {
  const checks = ['cluster file']
  const source = await readProxyConfig(cluster)
  const report: ValidateReport = {
    cluster: cluster.spec.cluster,
    provider: cluster.spec.provider,
    engine: cluster.spec.proxy.engine,
    proxyConfig: cluster.spec.proxy.config,
    checks,
  }
  const engine = await loadEngine(cluster.spec.proxy.engine).catch(() => undefined)
  if (!engine) return report
  const display = displayPath(cluster, cluster.spec.proxy.config)
  engine.parse(source, display)
  checks.push(`${engine.name} parser`)
  // The certificates beside the source, which the config names (tls add): the validator loads them as the hosts will.
  const certificates = path.join(path.dirname(cluster.spec.proxy.config), TLS_DIR)
  const companions: Record<string, string> = (await stat(certificates).then((s) => s.isDirectory(), () => false)) ? {[TLS_DIR]: certificates} : {}
  const result = await engine.validate(source, {file: display, companions})
  if (!result.ok) throw rejected(result, display)
  const {validator} = ENGINE_DESCRIPTORS[engine.name]
  if (validator && result.validator === 'structural') report.skipped = {validator, reason: `${engine.name} is not installed here (not on PATH)`}
  else checks.push(structuralOnly(engine, result) ? `${engine.name} structure` : result.validator)
  return report
}

function structuralOnly(engine: Engine, result: ValidationResult): boolean {
  // An engine without a validator of its own (pound: none runs without its certificates) is checked by its structure.
  return !ENGINE_DESCRIPTORS[engine.name].validator || result.validator.startsWith('structural')
}

function rejected(result: ValidationResult, display: string): ValidationRejectedError {
  const lines = complaints(result)
  return new ValidationRejectedError(`${result.validator} rejected ${display}:\n${(lines.length > 0 ? lines : [result.output]).map((l) => `  ${l}`).join('\n')}`, {
    actions: [`Fix what it names in ${display}, then run hactl validate again.`],
    data: {validator: result.validator, output: result.output, ...(result.line === undefined ? {} : {file: display, line: result.line})},
  })
}

async function readProxyConfig(cluster: Cluster): Promise<string> {
  try {
    return await readFile(cluster.spec.proxy.config, 'latin1')
  } catch (error) {
    throw new ConfigError(`proxy.config: cannot read ${displayPath(cluster, cluster.spec.proxy.config)}`, {file: cluster.file}, {
      actions: ['Fix proxy.config in the cluster file, or create the file (hactl init writes a starter one).'],
      cause: error,
    })
  }
}

/** Paths in messages are shown relative to the working folder when that is shorter. */
export function displayPath(_cluster: Cluster, p: string): string {
  const rel = path.relative(process.cwd(), p)
  return rel && !rel.startsWith('..') && rel.length < p.length ? rel : p
}
