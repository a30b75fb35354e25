/**
 * Certificate expiry in the monitor: the source's certificates (hactl-tls/
 * beside the config, read without any connection) are judged every round
 * against `tls.warnDays`, and each one expiring or expired is alerted once
 * per UTC day. The day of the last alert is kept in the monitor state, so a
 * restart or the next `--once` run the same day stays quiet.
 */
import {daysLeft} from '../proxy-config/tls.js'

/** A certificate of the source as the monitor needs it. */
export interface SourceCertificate {
  name: string
  /** ISO time; absent when the file cannot be read (status reports that, not the monitor). */
  notAfter?: string
}

export interface ExpiryAlert {
  name: string
  notAfter: string
  daysLeft: number
  message: string
}

/** The UTC day of a time, as the state keeps it. */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10)
}

/**
 * What to alert this round, and the new record of the days alerted.
 * Certificates no longer expiring (renewed, removed) drop out of the record,
 * so a certificate that expires again later is alerted afresh.
 */
export function certificateAlerts(
  certificates: readonly SourceCertificate[],
  alerted: Readonly<Record<string, string>>,
  now: number,
  warnDays: number,
): {alerts: ExpiryAlert[]; alerted: Record<string, string>} {
  const today = utcDay(now)
  const alerts: ExpiryAlert[] = []
  const next: Record<string, string> = {}
  for (const c of certificates) {
    if (c.notAfter === undefined) continue
    const notAfter = Date.parse(c.notAfter)
    if (Number.isNaN(notAfter)) continue
    const left = daysLeft(notAfter, now)
    if (left >= warnDays) continue
    next[c.name] = today
    if (alerted[c.name] === today) continue
    const message =
      notAfter <= now
        ? `certificate ${c.name} expired on ${c.notAfter}: renew it and run tls add again`
        : `certificate ${c.name} expires in ${left} days (${c.notAfter}; tls.warnDays ${warnDays}): renew it and run tls add again`
    alerts.push({name: c.name, notAfter: c.notAfter, daysLeft: left, message})
  }
  return {alerts, alerted: next}
}
