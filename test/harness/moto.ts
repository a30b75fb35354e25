import {freePort} from './ports.js'
import {startProcess} from './process.js'
import {portOpen, waitFor} from './wait.js'

export interface Moto {
  endpoint: string
  /** Environment for hactl and SDK clients pointed at this moto. */
  env: Record<string, string>
  stop: () => Promise<void>
  reset: () => Promise<void>
}

/** A real moto_server on a free loopback port, for EC2, Route 53 and DynamoDB. */
export async function startMoto(): Promise<Moto> {
  const port = await freePort()
  const proc = startProcess('moto_server', ['-H', '127.0.0.1', '-p', String(port)])
  await waitFor(`moto_server on port ${port}\n${proc.output()}`, () => portOpen(port), 30_000)
  const endpoint = `http://127.0.0.1:${port}`
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    stop: proc.stop,
    async reset() {
      await fetch(`${endpoint}/moto-api/reset`, {method: 'POST'})
    },
  }
}
