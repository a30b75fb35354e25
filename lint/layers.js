/**
 * ESLint rules that keep hactl's imports pointing down its layers. The layer
 * table itself lives in eslint.config.js; these rules only read it.
 *
 * - `hactl/layers`: a file may import its own place (folder or file), or a
 *   layer below its own; never one above, never a sibling place of its own
 *   layer. A place named in `only` imports nothing but the places listed
 *   there. Type imports count: they are dependencies of meaning too.
 * - `hactl/packages`: a package (by name prefix) only where it is allowed.
 * - `hactl/pure`: the planners do no I/O, so they import neither an I/O
 *   module of node nor a module that does I/O (types from it are fine).
 */
import path from 'node:path'

/** The module a specifier names, as a path from the root of the layers (`cloud/aws/sdk.ts`), or undefined when it is a package or outside the root. */
function resolveInRoot(filename, specifier, root) {
  if (!specifier.startsWith('.')) return undefined
  const target = path.relative(root, path.resolve(path.dirname(filename), specifier)).split(path.sep).join('/')
  if (target.startsWith('..') || path.isAbsolute(target)) return undefined
  return target.replace(/\.js$/, '.ts')
}

/** The entry of `places` (folders end with `/`) that holds `file` most narrowly. */
function placeOf(file, places) {
  let best
  for (const place of places) {
    const holds = place.endsWith('/') ? file.startsWith(place) : file === place
    if (holds && (!best || place.length > best.length)) best = place
  }
  return best
}

function rootOf(context, options) {
  return path.resolve(context.cwd ?? process.cwd(), options.root ?? 'src')
}

function fileIn(context, root) {
  const file = path.relative(root, context.filename).split(path.sep).join('/')
  return file.startsWith('..') || path.isAbsolute(file) ? undefined : file
}

/** Calls `check(node, specifier, typeOnly)` for every import, re-export, dynamic import and `import('…')` type in the file. */
function eachImport(check) {
  const literal = (node) => (node && node.type === 'Literal' && typeof node.value === 'string' ? node.value : undefined)
  const typeOnlyImport = (node) => node.importKind === 'type' || (node.specifiers.length > 0 && node.specifiers.every((s) => s.importKind === 'type'))
  const typeOnlyExport = (node) => node.exportKind === 'type' || (node.specifiers?.length > 0 && node.specifiers.every((s) => s.exportKind === 'type'))
  return {
    ImportDeclaration: (node) => check(node.source, node.source.value, typeOnlyImport(node)),
    ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value, typeOnlyExport(node)),
    ExportAllDeclaration: (node) => check(node.source, node.source.value, node.exportKind === 'type'),
    ImportExpression: (node) => literal(node.source) && check(node.source, literal(node.source), false),
    TSImportType: (node) => {
      const specifier = literal(node.argument) ?? literal(node.argument?.literal) ?? literal(node.source)
      if (specifier) check(node, specifier, true)
    },
  }
}

const layers = {
  meta: {
    type: 'problem',
    docs: {description: 'Imports point down the layers'},
    schema: [
      {
        type: 'object',
        properties: {
          root: {type: 'string'},
          layers: {type: 'array', items: {type: 'array', items: {type: 'string'}}},
          only: {type: 'object', additionalProperties: {type: 'array', items: {type: 'string'}}},
        },
        required: ['layers'],
        additionalProperties: false,
      },
    ],
    messages: {
      up: '{{file}} imports {{target}}: {{to}} is a layer above {{from}}, and imports point down (LAYERS in eslint.config.js). Move the shared part down, or the importing part up.',
      sibling: '{{file}} imports {{target}}: {{from}} and {{to}} are one layer, and neither imports the other. Move the shared part below both.',
      only: '{{file}} imports {{target}}: {{from}} imports only {{allowed}}.',
      unplaced: '{{file}} imports {{target}}, which is in no layer: add its place to LAYERS in eslint.config.js.',
    },
  },
  create(context) {
    const options = context.options[0]
    const root = rootOf(context, options)
    const file = fileIn(context, root)
    if (!file) return {}
    const places = options.layers.flat()
    const layerOf = (place) => options.layers.findIndex((layer) => layer.includes(place))
    const from = placeOf(file, places)
    if (!from) return {}
    const only = options.only?.[from]
    return eachImport((node, specifier) => {
      const target = resolveInRoot(context.filename, specifier, root)
      if (!target) return
      const to = placeOf(target, places)
      const data = {file, target, from, to}
      if (!to) return context.report({node, messageId: 'unplaced', data})
      if (to === from) return
      if (only && !only.includes(to)) return context.report({node, messageId: 'only', data: {...data, allowed: only.join(' ')}})
      if (layerOf(to) < layerOf(from)) return context.report({node, messageId: 'up', data})
      if (layerOf(to) === layerOf(from)) return context.report({node, messageId: 'sibling', data})
    })
  },
}

const packages = {
  meta: {
    type: 'problem',
    docs: {description: 'Each package only in the folders that own it'},
    schema: [
      {
        type: 'object',
        properties: {root: {type: 'string'}, packages: {type: 'object', additionalProperties: {type: 'array', items: {type: 'string'}}}},
        required: ['packages'],
        additionalProperties: false,
      },
    ],
    messages: {
      misplaced: '{{file}} imports {{specifier}}, which only {{owners}} may import: go through them.',
    },
  },
  create(context) {
    const options = context.options[0]
    const file = fileIn(context, rootOf(context, options))
    if (!file) return {}
    return eachImport((node, specifier) => {
      for (const [name, owners] of Object.entries(options.packages)) {
        const named = name.endsWith('/') ? specifier.startsWith(name) : specifier === name || specifier.startsWith(`${name}/`)
        if (named && !placeOf(file, owners)) context.report({node, messageId: 'misplaced', data: {file, specifier, owners: owners.join(', ')}})
      }
    })
  },
}

const pure = {
  meta: {
    type: 'problem',
    docs: {description: 'Planners do no I/O'},
    schema: [
      {
        type: 'object',
        properties: {
          root: {type: 'string'},
          files: {type: 'array', items: {type: 'string'}},
          io: {type: 'array', items: {type: 'string'}},
          builtins: {type: 'array', items: {type: 'string'}},
        },
        required: ['files', 'io', 'builtins'],
        additionalProperties: false,
      },
    ],
    messages: {
      io: '{{file}} is pure (observed state in, actions out) and may not import {{target}}, which does I/O; take its types only, or pass the result in.',
    },
  },
  create(context) {
    const options = context.options[0]
    const root = rootOf(context, options)
    const file = fileIn(context, root)
    if (!file || !placeOf(file, options.files)) return {}
    return eachImport((node, specifier, typeOnly) => {
      if (typeOnly) return
      const builtin = specifier.replace(/^node:/, '').split('/')[0]
      const target = resolveInRoot(context.filename, specifier, root)
      if (options.builtins.includes(builtin) || (target && placeOf(target, options.io))) context.report({node, messageId: 'io', data: {file, target: target ?? specifier}})
    })
  },
}

export default {meta: {name: 'hactl'}, rules: {layers, packages, pure}}
