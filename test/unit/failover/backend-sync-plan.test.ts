import {expect} from 'chai'

import type {ServerInfo} from '../../../src/proxy-config/engine.js'
import {planSync} from '../../../src/services/backend-sync.js'

const server = (name: string, address: string, port: number): ServerInfo => ({backend: 'app', name, address, port, state: 'enabled', backup: false, options: [], line: 1})

describe('backend sync planner', () => {
  it('adds the new instances and removes the gone servers', () => {
    const plan = planSync('app', [server('old', '10.0.0.1', 8080), server('kept', '10.0.0.2', 8080)], [
      {address: '10.0.0.2', port: 8080, name: 'i-2'},
      {address: '10.0.0.3', port: 8080, name: 'i-3'},
    ])
    expect(plan.add.map((a) => a.name)).to.deep.equal(['i-3'])
    expect(plan.remove.map((r) => r.name)).to.deep.equal(['old'])
  })

  it('never empties a backend when discovery finds nothing', () => {
    const plan = planSync('app', [server('a', '10.0.0.1', 8080)], [])
    expect(plan.remove).to.deep.equal([])
    expect(plan.refused).to.include('keeping its 1 servers')
  })

  it('a port change is a remove and an add', () => {
    const plan = planSync('app', [server('a', '10.0.0.1', 8080)], [{address: '10.0.0.1', port: 9090, name: 'i-1'}])
    expect(plan.add).to.have.length(1)
    expect(plan.remove).to.have.length(1)
  })
})
