import {expect} from 'chai'

import {combined, json, vhostCombined} from '../../../src/logs/format.js'
import {parseHaproxy} from '../../../src/logs/haproxy.js'
import {compileNginxFormat, nginxAccessLog, nginxLogFormats, nginxParser} from '../../../src/logs/nginx.js'
import {parsePound} from '../../../src/logs/pound.js'

// Lines written by haproxy 2.6.12 (`option httplog`, `capture request header Host len 64`) and nginx 1.22.1 on this project's machines.
const HAPROXY_RAW = '127.0.0.1:44928 [28/Nov/2026:10:32:19.752] www web/s1 0/0/0/13/13 404 500 - - ---- 1/1/0/0/0 0/0 {127.253.9.1:18080} "GET /a?b=1 HTTP/1.1"'
const HAPROXY_503 = '127.0.0.1:44932 [28/Nov/2026:10:32:19.797] www web/s2 0/0/-1/-1/3004 503 217 - - SC-- 1/1/0/0/3 0/0 {127.253.9.1:18080} "GET /b HTTP/1.1"'
const HAPROXY_5424 = '<134>1 2026-11-28T10:32:27.148899+00:00 - haproxy 11764 - - 127.0.0.1:44954 [28/Nov/2026:10:32:27.144] www web/s1 0/0/0/4/4 404 500 - - ---- 1/1/0/0/0 0/0 {127.253.9.1:18080} "GET /x HTTP/1.1"'
const HAPROXY_3164 = '<134>Nov 28 10:32:28 localhost haproxy[11840]: 127.0.0.1:44964 [28/Nov/2026:10:32:28.497] www web/s1 0/0/0/2/3 404 500 - - ---- 1/1/0/0/0 0/0 {127.253.9.1:18080} "GET /y HTTP/1.1"'
const HAPROXY_BADREQ = '<134>Nov 28 10:32:28 localhost haproxy[11840]: 127.0.0.1:44972 [28/Nov/2026:10:32:28.532] www www/<NOSRV> -1/-1/-1/-1/0 400 0 - - PR-- 1/1/0/0/0 0/0 "<BADREQ>"'
const RSYSLOG = 'Nov 28 10:32:28 lb1 haproxy[11840]: 10.0.0.9:5000 [28/Nov/2026:10:32:28.497] www~ web/s1 5/0/1/2/8 200 +1234 - - ---- 1/1/0/0/0 0/0 "GET https://www.example.com/p HTTP/2.0"'

const NGINX_COMBINED = '127.0.0.1 - - [28/Nov/2026:10:34:05 +0000] "GET /p?x=1 HTTP/1.1" 404 335 "http://ref.example/\\x22q\\x22" "Mozilla/5.0 (X11) \\x22quoted\\x22"'
const NGINX_CUSTOM =
  '127.0.0.1 - - [28/Nov/2026:10:34:05 +0000] "GET /p?x=1 HTTP/1.1" 404 335 "http://ref.example/\\x22q\\x22" "Mozilla/5.0 (X11) \\x22quoted\\x22" host=www.example.test upstream=127.253.9.2:18081 proxy=web rt=0.007 uct="0.000" urt="0.007"'
const NGINX_CONFIG = `http {
    # log_format commented 'nothing';
    log_format upstream '$remote_addr - $remote_user [$time_local] "$request" '
                        '$status $body_bytes_sent "$http_referer" "$http_user_agent" '
                        'host=$host upstream=$upstream_addr proxy=$proxy_host rt=$request_time uct="$upstream_connect_time" urt="$upstream_response_time"';
    server {
        access_log off;
        access_log /var/log/nginx/upstream.log upstream;
    }
}
`

const local = (...parts: number[]): number => new Date(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6]).getTime()

describe('access log parsers', () => {
  describe('haproxy option httplog', () => {
    it('reads a raw line: client, time (host-local), backend, server, timers, status, bytes, request, Host capture', () => {
      const r = parseHaproxy(HAPROXY_RAW)
      expect(r).to.deep.include({client: '127.0.0.1', method: 'GET', path: '/a?b=1', proto: 'HTTP/1.1', status: 404, bytes: 500, backend: 'web', server: 's1', vhost: '127.253.9.1:18080'})
      expect(r?.time).to.equal(local(2026, 10, 28, 10, 32, 19, 752))
      expect(r?.timings).to.deep.equal({request: 0, queue: 0, connect: 0, response: 13, total: 13})
    })

    it('keeps -1 for the phases a failed request never reached', () => {
      expect(parseHaproxy(HAPROXY_503)?.timings).to.deep.equal({request: 0, queue: 0, connect: -1, response: -1, total: 3004})
    })

    it('skips rfc5424, rfc3164 and syslog-daemon prefixes', () => {
      expect(parseHaproxy(HAPROXY_5424)).to.deep.include({path: '/x', time: local(2026, 10, 28, 10, 32, 27, 144)})
      expect(parseHaproxy(HAPROXY_3164)).to.deep.include({path: '/y', server: 's1'})
      const r = parseHaproxy(RSYSLOG)
      expect(r).to.deep.include({client: '10.0.0.9', bytes: 1234, vhost: 'www.example.com', path: '/p', proto: 'HTTP/2.0', status: 200})
    })

    it('reads a bad request with no server and no captures', () => {
      const r = parseHaproxy(HAPROXY_BADREQ)
      expect(r).to.deep.include({status: 400, server: undefined, backend: 'www', method: '-', path: '<BADREQ>'})
      expect(r?.vhost).to.equal(undefined)
      expect(r && combined(r)).to.match(/"<BADREQ>" 400 0 "-" "-"$/)
    })

    it('reads option logasap\'s + before the total and the bytes, keeps a line whose timer is not a number, refuses one with too few timers', () => {
      const logasap = parseHaproxy(HAPROXY_RAW.replace('0/0/0/13/13 404 500', '0/0/0/13/+13 404 +500'))
      expect(logasap?.timings?.total).to.equal(13)
      expect(logasap?.bytes).to.equal(500)
      const odd = parseHaproxy(HAPROXY_RAW.replace('0/0/0/13/13', '0/0/x/13/13'))
      expect(odd?.status).to.equal(404)
      expect(odd?.timings?.connect).to.be.NaN
      expect(odd?.timings?.response).to.equal(13)
      expect(parseHaproxy(HAPROXY_RAW.replace('0/0/0/13/13', '0/0/13/13'))).to.equal(undefined)
      expect(parseHaproxy(HAPROXY_RAW.replace(' 404 ', ' 4x4 '))).to.equal(undefined)
    })

    it('refuses what is not an httplog line', () => {
      for (const line of ['', '[NOTICE]   (11554) : New worker (11592) forked', '127.0.0.1:1 [28/Nov/2026:10:32:19.752] www', 'Proxy www started.', '127.0.0.1:1 [99/Foo/2026:10:32:19.752] www web/s1 0/0/0/1/1 200 1 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1"']) {
        expect(parseHaproxy(line), line).to.equal(undefined)
      }
    })
  })

  describe('nginx', () => {
    it('reads combined, with nginx\'s \\x22 escapes undone', () => {
      const r = nginxParser(undefined)(NGINX_COMBINED)
      expect(r).to.deep.include({client: '127.0.0.1', time: Date.UTC(2026, 10, 28, 10, 34, 5), method: 'GET', path: '/p?x=1', status: 404, bytes: 335, referer: 'http://ref.example/"q"', userAgent: 'Mozilla/5.0 (X11) "quoted"'})
    })

    it('compiles a log_format declared in the config, over several quoted parts, and reads its lines', () => {
      expect(nginxLogFormats(NGINX_CONFIG)).to.have.keys(['upstream'])
      expect(nginxAccessLog(NGINX_CONFIG)).to.deep.equal({path: '/var/log/nginx/upstream.log', format: 'upstream'})
      const r = nginxParser(NGINX_CONFIG)(NGINX_CUSTOM)
      expect(r).to.deep.include({vhost: 'www.example.test', server: '127.253.9.2:18081', backend: 'web', status: 404})
      expect(r?.timings).to.deep.equal({total: 7, connect: 0, response: 7})
    })

    it('takes a zone other than UTC into account', () => {
      const r = nginxParser(undefined)('10.1.1.1 - bob [28/Nov/2026:12:34:05 +0200] "GET / HTTP/1.1" 200 5 "-" "-"')
      expect(r).to.deep.include({time: Date.UTC(2026, 10, 28, 10, 34, 5), user: 'bob', referer: undefined})
    })

    it('refuses a line of another format and a format it cannot order', () => {
      expect(nginxParser(undefined)('garbage')).to.equal(undefined)
      expect(() => compileNginxFormat('$remote_addr "$request"')).to.throw(/time_local/)
      expect(() => nginxParser(NGINX_CONFIG, 'missing')).to.throw(/no log_format named "missing"/)
    })
  })

  describe('pound (LogLevel 3, 4, 5; from its documentation)', () => {
    it('reads the virtual host, the Apache fields and, at level 5, service, backend and time', () => {
      const line = 'Nov 28 10:34:05 lb1 pound[812]: www.example.com 10.0.0.7 - - [28/Nov/2026:10:34:05 +0000] "GET /p HTTP/1.1" 200 512 "-" "curl/7.88.1" (web -> 10.0.3.1:8080) 0.012 sec'
      expect(parsePound(line)).to.deep.include({vhost: 'www.example.com', client: '10.0.0.7', status: 200, bytes: 512, backend: 'web', server: '10.0.3.1:8080', timings: {total: 12}})
      expect(parsePound('10.0.0.7 - - [28/Nov/2026:10:34:05 +0000] "GET /p HTTP/1.1" 200 512 "-" "curl/7.88.1"')).to.deep.include({vhost: undefined, client: '10.0.0.7'})
      expect(parsePound('pound: starting...')).to.equal(undefined)
    })
  })

  describe('formats', () => {
    it('prints Apache combined, vhost_combined and JSON', () => {
      const r = parseHaproxy(HAPROXY_RAW)
      if (!r) throw new Error('no record')
      r.time = Date.UTC(2026, 10, 28, 10, 32, 19, 752)
      r.userAgent = 'a "quoted" agent'
      const zone = combined(r).match(/\[(.*?)\]/)?.[1]
      expect(zone).to.match(/^\d\d\/Nov\/2026:\d\d:32:19 [+-]\d{4}$/)
      expect(combined(r)).to.equal(`127.0.0.1 - - [${zone}] "GET /a?b=1 HTTP/1.1" 404 500 "-" "a \\"quoted\\" agent"`)
      expect(vhostCombined(r)).to.equal(`127.253.9.1:18080 ${combined(r)}`)
      expect(JSON.parse(json(r))).to.deep.include({time: '2026-11-28T10:32:19.752Z', backend: 'web', server: 's1', timings: {request: 0, queue: 0, connect: 0, response: 13, total: 13}})
    })
  })
})
