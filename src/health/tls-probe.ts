/** What a proxy serves on its TLS port for one host name (SNI): the certificate's fingerprint and dates. */
import {connect} from 'node:tls'

export interface Served {
  fingerprint?: string
  notAfter?: Date
  subject?: string
  error?: string
}

export async function servedCertificate(address: string, port: number, servername: string, timeoutMs = 3000): Promise<Served> {
  return new Promise((resolve) => {
    let settled = false
    const done = (served: Served): void => {
      if (settled) return
      settled = true
      socket.destroy()
      resolve(served)
    }
    // The point is to see what is served, trusted or not: the comparison with the source is the check.
    const socket = connect({host: address, port, servername, rejectUnauthorized: false, timeout: timeoutMs}, () => {
      const cert = socket.getPeerX509Certificate()
      if (!cert) return done({error: 'no certificate served'})
      done({fingerprint: cert.fingerprint256, notAfter: new Date(cert.validTo), subject: cert.subject.replaceAll('\n', ', ')})
    })
    socket.once('timeout', () => done({error: `no TLS handshake within ${timeoutMs} ms`}))
    socket.once('error', (error) => done({error: error.message}))
  })
}
