import {expect} from 'chai'

import {nginxAccessLog, nginxParser} from '../../../src/logs/nginx.js'
import {ENGINE_DEFAULTS} from '../../../src/remote/hosts.js'
import {STARTER_CONFIGS} from '../../../src/services/starters.js'

describe('hactl init starters log what hactl logs reads', () => {
  it('haproxy: option httplog to syslog (/dev/log), which Debian writes to the default proxy.accessLog', () => {
    const text = STARTER_CONFIGS.haproxy.text
    expect(text).to.match(/^\s+option httplog$/m)
    expect(text).to.match(/^\s+log \/dev\/log local0$/m)
    expect(ENGINE_DEFAULTS.haproxy.accessLog).to.equal('/var/log/haproxy.log')
  })

  it('nginx: an access_log at the default path, in a format hactl compiles', () => {
    const text = STARTER_CONFIGS.nginx.text
    expect(nginxAccessLog(text)).to.deep.equal({path: ENGINE_DEFAULTS.nginx.accessLog, format: 'combined'})
    expect(nginxParser(text)('10.0.0.1 - - [28/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 2 "-" "curl/7.88.1"')).to.deep.include({status: 200})
  })

  it('pound: LogLevel 3 (Apache combined with the virtual host)', () => {
    expect(STARTER_CONFIGS.pound.text).to.match(/^LogLevel 3$/m)
  })
})
