/**
 * cloud-init user-data for a proxy instance: install and enable the engine
 * on Debian/Ubuntu (apt) and Amazon Linux / RHEL (dnf or yum). A shell
 * script, which cloud-init runs once at first boot on all of these.
 */
import type {EngineName} from '../cluster/schema.js'
import {ENGINE_DESCRIPTORS} from '../proxy-config/descriptors.js'


export function proxyUserData(engine: EngineName, cluster: string, extra?: string): string {
  const p = ENGINE_DESCRIPTORS[engine].packages
  return [
    '#!/bin/sh',
    `# hactl proxy of cluster ${cluster}: install and enable ${engine}`,
    'set -eu',
    'if command -v apt-get >/dev/null 2>&1; then',
    '  export DEBIAN_FRONTEND=noninteractive',
    '  apt-get update -q',
    `  apt-get install -y -q ${p.apt}`,
    'elif command -v dnf >/dev/null 2>&1; then',
    `  dnf install -y -q ${p.rpm}`,
    'elif command -v yum >/dev/null 2>&1; then',
    `  yum install -y -q ${p.rpm}`,
    'else',
    `  echo "hactl: no apt-get, dnf or yum to install ${engine}" >&2; exit 1`,
    'fi',
    `systemctl enable --now ${p.service}`,
    ...(extra ? ['', '# proxy.instances.userData from the cluster file', extra.trimEnd()] : []),
    '',
  ].join('\n')
}
