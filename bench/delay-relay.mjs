/**
 * The 50 ms link of bench/rollout, as a process of its own so its CPU is
 * counted apart from hactl's: one listener on 127.0.0.1 per target; every
 * segment toward the target waits DELAY ms (timers with one delay fire in
 * order, so the stream stays intact), replies pass at once.
 *
 *   node bench/delay-relay.mjs DELAY HOST:PORT…   prints the listening ports, one a line, then "ready"
 */
import {connect, createServer} from 'node:net'

const [delayArg, ...targets] = process.argv.slice(2)
const delay = Number(delayArg)

function relay(host, port) {
  const server = createServer((client) => {
    const upstream = connect(port, host)
    client.on('data', (d) => setTimeout(() => upstream.write(d), delay))
    // A client gone without a FIN (destroyed) must still close the sshd side, or its session outlives the push.
    client.on('close', () => setTimeout(() => upstream.end(), delay))
    upstream.pipe(client)
    upstream.on('close', () => client.destroy())
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)))
}

const ports = await Promise.all(
  targets.map((t) => {
    const at = t.lastIndexOf(':')
    return relay(t.slice(0, at), Number(t.slice(at + 1)))
  }),
)
process.stdout.write(`${ports.join('\n')}\nready\n`)
process.on('SIGTERM', () => process.exit(0))
