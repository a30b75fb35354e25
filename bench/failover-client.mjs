#!/usr/bin/env node
// The failover benchmark's client, a process of its own: it shares no event
// loop, timer or CPU queue with the benchmark, the monitor or the sandbox, so
// what it records is what any client of the address sees.
//
//   node bench/failover-client.mjs HOST PORT [--every 10] [--timeout 200]
//
// Every `--every` ms (drift-free; requests overlap) it opens a new TCP
// connection, sends `GET / HTTP/1.0` and reads the whole answer, all bounded
// by `--timeout` ms. One line per request on stdout, times in ms since the
// epoch (sub-ms):
//
//   SEND DONE RESULT PROXY     e.g. 1764321600123.456 1764321600125.012 ok proxy-2
//
// RESULT is ok, refused, reset, timeout, http-STATUS or the error code; PROXY
// is the X-Proxy header, or -. It stops on SIGTERM, SIGINT or when stdin closes.
import {connect} from 'node:net'
import {performance} from 'node:perf_hooks'

const [host, portText, ...rest] = process.argv.slice(2)
const option = (name, fallback) => {
  const i = rest.indexOf(name)
  return i >= 0 ? Number(rest[i + 1]) : fallback
}
const port = Number(portText)
const every = option('--every', 10)
const timeout = option('--timeout', 200)
if (!host || !Number.isInteger(port) || !(every > 0) || !(timeout > 0)) {
  process.stderr.write('usage: failover-client.mjs HOST PORT [--every MS] [--timeout MS]\n')
  process.exit(2)
}

const now = () => performance.timeOrigin + performance.now()
const request = Buffer.from(`GET / HTTP/1.0\r\nHost: ${host}\r\nUser-Agent: hactl-bench\r\n\r\n`)

function once() {
  const send = now()
  let settled = false
  const chunks = []
  const socket = connect({host, port, noDelay: true})
  const finish = (result, proxy = '-') => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    socket.destroy()
    process.stdout.write(`${send.toFixed(3)} ${now().toFixed(3)} ${result} ${proxy}\n`)
  }
  const timer = setTimeout(() => finish('timeout'), timeout)
  socket.once('connect', () => socket.write(request))
  socket.on('data', (chunk) => chunks.push(chunk))
  socket.once('end', () => {
    const text = Buffer.concat(chunks).toString('latin1')
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1]
    const proxy = /\r\nx-proxy:\s*(\S+)/i.exec(text)?.[1]
    finish(status === '200' ? 'ok' : status ? `http-${status}` : 'empty', proxy)
  })
  socket.once('error', (error) => {
    const code = error.code
    finish(code === 'ECONNREFUSED' ? 'refused' : code === 'ECONNRESET' ? 'reset' : code ? code.toLowerCase() : 'error')
  })
}

let next = performance.now()
let stopped = false
const tick = () => {
  if (stopped) return
  once()
  next += every
  const wait = next - performance.now()
  // Behind schedule (a stalled loop): start again from now rather than firing a burst.
  if (wait < 0) next = performance.now()
  setTimeout(tick, Math.max(0, wait))
}
const stop = () => {
  stopped = true
  setTimeout(() => process.exit(0), timeout + 50)
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
process.stdin.on('data', () => undefined)
process.stdin.once('end', stop)
tick()
