import js from '@eslint/js'
import tseslint from 'typescript-eslint'

import hactl from './lint/layers.js'

/**
 * The layers of src/, top to bottom: a file imports its own place or a layer
 * below; places in one layer do not import each other. ui/ stands beside
 * command-support (only commands and command-support use it) and itself
 * imports only the shared bottom.
 */
export const LAYERS = [
  ['cli.ts', 'index.ts', 'hooks/', 'commands/'],
  ['command-support/'],
  ['base-command.ts'],
  ['ui/'],
  ['services/'],
  ['sandbox/'],
  ['monitor/'],
  ['failover/', 'firewall/'],
  ['health/', 'remote/'],
  ['cloud/', 'logs/'],
  // Below the cloud: the engine descriptors say what a proxy host needs installed, which its user data renders.
  ['proxy-config/'],
  ['cluster/', 'process/'],
  ['util/'],
  ['events.ts', 'errors.ts', 'diff.ts'],
]

/** The source rules that keep the layers: order, who may use which package, and planners without I/O. */
export const layerRules = {
  files: ['src/**/*.ts'],
  plugins: {hactl},
  rules: {
    'hactl/layers': ['error', {root: 'src', layers: LAYERS, only: {'ui/': ['events.ts', 'errors.ts', 'diff.ts']}}],
    'hactl/packages': [
      'error',
      {
        root: 'src',
        packages: {
          '@aws-sdk/': ['cloud/aws/'],
          ssh2: ['remote/'],
          'ssh-config': ['remote/'],
          '@oclif/': ['cli.ts', 'index.ts', 'hooks/', 'commands/', 'base-command.ts', 'command-support/', 'ui/'],
          '@inquirer/': ['commands/', 'command-support/', 'base-command.ts', 'ui/'],
          chalk: ['ui/'],
          listr2: ['ui/'],
        },
      },
    ],
    'hactl/pure': [
      'error',
      {
        root: 'src',
        files: ['failover/planner.ts', 'failover/dns-planner.ts', 'cloud/balancer-plan.ts', 'failover/suspect.ts', 'firewall/planner.ts', 'firewall/policy.ts', 'firewall/audit.ts', 'health/rise-fall.ts'],
        io: [
          'services/', 'sandbox/', 'monitor/', 'remote/', 'process/',
          'cloud/aws/', 'cloud/local/', 'cloud/static/', 'cloud/rfc2136/', 'cloud/index.ts', 'cloud/providers.ts',
          'health/probe.ts', 'health/run-probes.ts', 'health/check.ts', 'health/judges.ts',
          'failover/executor.ts', 'failover/observe.ts', 'failover/lock.ts', 'failover/barrier.ts',
          'proxy-config/files.ts', 'proxy-config/binary.ts', 'proxy-config/binary-check.ts', 'cluster/loader.ts',
        ],
        builtins: ['fs', 'net', 'child_process', 'http', 'https', 'http2', 'dgram', 'dns', 'tls', 'worker_threads', 'timers'],
      },
    ],
  },
}

export default tseslint.config(
  {ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'oclif.manifest.json']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {parserOptions: {projectService: {allowDefaultProject: ['*.js']}, tsconfigRootDir: import.meta.dirname}},
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      // Errors that are built but never thrown are a known bug class: a bare `new XError()` statement is flagged.
      'no-new': 'error',
      '@typescript-eslint/no-unused-expressions': 'error',
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  layerRules,
  {
    files: ['test/**/*.ts'],
    rules: {'@typescript-eslint/no-unused-expressions': 'off'},
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: {process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', URL: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly'},
    },
    rules: {'@typescript-eslint/no-require-imports': 'off'},
  },
)
