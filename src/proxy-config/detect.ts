/**
 * How sure each engine is that a file is its config, from the name and the
 * text alone (each engine's descriptor says). Kept apart from the engines so
 * telling a file's engine loads no parser: only the chosen engine is loaded after.
 */
import type {EngineName} from '../cluster/schema.js'
import {engineTable} from './descriptors.js'

export const DETECTORS: Record<EngineName, (file: string, text: string) => number> = engineTable((d) => d.detect)
