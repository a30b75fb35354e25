/**
 * The names the cluster file accepts, apart from its schema: flags list them
 * (--engine) without loading zod, which a command reading no cluster file
 * should not pay for at start-up.
 */
export const ENGINES = ['haproxy', 'nginx', 'pound', 'perlbal'] as const
export const PROVIDERS = ['aws', 'local', 'static'] as const
export const TOPOLOGIES = ['pool', 'pairs', 'nlb'] as const
