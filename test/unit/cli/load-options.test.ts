import {expect} from 'chai'
import {mkdir, mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {Interfaces} from '@oclif/core'

import {loadOptions, ownCommandFile} from '../../../src/cli.js'

/** A package root laid out as the build leaves it: package.json and dist/commands/<topic>/<verb>.js. */
async function packageRoot(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'hactl-cli-'))
  for (const file of ['backend/list.js', 'backend/add.js', 'status.js', 'sandbox/index.js']) {
    await mkdir(path.dirname(path.join(root, 'dist', 'commands', file)), {recursive: true})
    await writeFile(path.join(root, 'dist', 'commands', file), '')
  }
  const pjson = {name: 'hactl', version: '1.0.0', oclif: {bin: 'hactl', commands: './dist/commands', plugins: ['@oclif/plugin-help', '@oclif/plugin-autocomplete']}}
  await writeFile(path.join(root, 'package.json'), JSON.stringify(pjson))
  return root
}

describe('start-up: which runs start oclif without its plugins', () => {
  it('finds the command file an argv names, past its arguments and flags', async () => {
    const root = await packageRoot()
    const commands = path.join(root, 'dist', 'commands')
    expect(ownCommandFile(['backend', 'list', 'web', '--file', 'x.cfg'], commands)).to.equal(path.join(commands, 'backend', 'list.js'))
    expect(ownCommandFile(['status', '--help'], commands)).to.equal(path.join(commands, 'status.js'))
    expect(ownCommandFile(['sandbox'], commands)).to.equal(path.join(commands, 'sandbox', 'index.js'))
  })

  it('names no file for the plugins\' commands, topics, unknown commands, flags first, or paths', async () => {
    const root = await packageRoot()
    const commands = path.join(root, 'dist', 'commands')
    for (const argv of [[], ['--help'], ['help', 'status'], ['autocomplete', 'bash'], ['backend'], ['backend', 'nosuch'], ['nosuch'], ['--verbose', 'status'], ['../dist/commands/status']]) {
      expect(ownCommandFile(argv, commands), argv.join(' ')).to.equal(undefined)
    }
  })

  it('a run of an own command leaves the plugins out; help, autocomplete and root help keep them', async () => {
    const root = await packageRoot()
    const own = loadOptions(['backend', 'add', 'web', '10.0.0.1:80', '--file', 'x.cfg'], root) as Interfaces.Options
    expect(own.root).to.equal(root)
    expect(own.pjson?.oclif.plugins).to.deep.equal([])
    expect(own.pjson?.oclif.commands).to.equal('./dist/commands')
    for (const argv of [['help', 'backend', 'add'], ['autocomplete'], ['--help'], ['backend', 'nosuch']]) {
      expect(loadOptions(argv, root), argv.join(' ')).to.equal(root)
    }
  })
})
