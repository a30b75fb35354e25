/**
 * A log's bytes as text. Access logs are nearly always ASCII (haproxy and
 * nginx escape other bytes); for ASCII, latin1 decoding gives the same text
 * and costs a copy instead of UTF-8 validation: about half the read time of
 * a large log. Anything else is decoded as UTF-8.
 */
import {isAscii} from 'node:buffer'

export function decodeLog(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8')
}
