import {expect} from 'chai'

import {hactl} from '../../harness/cli.js'

interface JsonError {
  error: {code: string; exitCode: number; message: string; actions?: string[]; suggestion?: string}
}

function jsonError(stdout: string): JsonError['error'] {
  return (JSON.parse(stdout) as JsonError).error
}

describe('usage errors a user meets', () => {
  it('a mistyped command suggests the right one, keeps the arguments, exits 2', async () => {
    const {code, stderr} = await hactl(['backend', 'ad', 'web', '10.0.1.7:8080', '-c', 'my cluster.yaml'])
    expect(code).to.equal(2)
    expect(stderr).to.include('Error: backend ad is not a hactl command; did you mean backend add?')
    expect(stderr).to.include("Run: hactl backend add web 10.0.1.7:8080 -c 'my cluster.yaml'")
    expect(stderr).to.include('`hactl help backend` lists the commands.')
    expect(stderr).not.to.include('not found')
  })

  it('a mistyped topic is found too; a word that is nothing like a command gets no guess', async () => {
    const topic = await hactl(['bakend', 'list'])
    expect(topic.code).to.equal(2)
    expect(topic.stderr).to.include('did you mean backend list?')
    const none = await hactl(['frobnicate'])
    expect(none.code).to.equal(2)
    expect(none.stderr).to.include('Error: frobnicate is not a hactl command\n')
    expect(none.stderr).not.to.include('did you mean')
  })

  it('under --json a mistyped command is the JSON error shape on stdout, with the suggestion', async () => {
    const {code, stdout} = await hactl(['sandbox', 'kil', 'proxy-1', '--json'])
    expect(code).to.equal(2)
    const error = jsonError(stdout)
    expect(error).to.include({code: 'usage', exitCode: 2, suggestion: 'sandbox kill'})
    expect(error.message).to.equal('sandbox kil is not a hactl command; did you mean sandbox kill?')
    expect(error.actions).to.include('Run: hactl sandbox kill proxy-1 --json')
  })

  it('a missing argument prints the help hint once', async () => {
    const {code, stderr} = await hactl(['backend', 'add', 'web'])
    expect(code).to.equal(2)
    expect(stderr).to.include('Missing 1 required arg')
    expect(stderr.match(/help/g), stderr).to.have.length(1)
  })

  const oclifErrors: [string, string[], RegExp][] = [
    ['an unknown flag', ['validate', '--bogus', '--json'], /^Nonexistent flag: --bogus$/],
    ['a missing argument', ['backend', 'add', 'web', '--json'], /^Missing 1 required arg:\naddress /],
    ['a flag value out of range', ['backend', 'add', 'web', '10.0.1.7:80', '--weight', '999', '--json'], /999/],
    ['an unexpected argument', ['status', 'extra', '--json'], /Unexpected argument: extra/],
  ]
  for (const [what, argv, message] of oclifErrors) {
    it(`under --json ${what} is the JSON error shape: exit 2, nothing on stderr`, async () => {
      const {code, stderr, stdout} = await hactl(argv)
      expect(code).to.equal(2)
      expect(stderr).to.equal('')
      const error = jsonError(stdout)
      expect(error).to.include({code: 'usage', exitCode: 2})
      expect(error.message).to.match(message)
      expect(error.message).not.to.include('See more help')
      expect(error.actions).to.deep.equal(['See --help for the flags and arguments.'])
    })
  }
})
