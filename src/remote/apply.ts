/**
 * The whole install on one host as one POSIX sh script, started by the
 * host's rollout lock (flock) in a session of its own (setsid), in the one
 * command a push runs there: take the new config (from its last argument, or
 * its input when too big for a command line), validate, back up, install,
 * reload, check, and on failure after the install roll back. One login shell
 * per push, no SFTP, and the lock, the command and a small config travel in
 * the same request. Once it has started it finishes on its own: it ignores
 * HUP, INT and PIPE, its steps' output goes to a file, and its progress lines
 * to a client that may be gone (write errors are ignored). It inherits the
 * lock's file descriptor, so the lock stays held until it ends even when
 * hactl and its connection are long gone.
 *
 * It records what the proxy runs: after a reload whose post-check passed, the
 * SHA-256 of that config goes into a file beside it (`.NAME.hactl-loaded`,
 * 0600). A live file whose hash differs from the record was installed but
 * not loaded: `config diff` calls it drift and the next push reloads it.
 *
 * Certificates travel with the config (`tls`: their bundle's id, then each
 * file's name and size; the bytes follow the config on the input, never on a
 * command line). They land in a folder of their own, `.hactl-tls.ID`, made
 * 0700 with files 0600 from the first byte and given the live file's owner;
 * the `hactl-tls` link beside the live file is switched to it (one rename)
 * before the validator runs, so it checks the new config with the new
 * certificates, and is switched back with the config on any failure.
 *
 * Progress, one line each on stdout: `locked`, `upload 0`, `unchanged`, `step NAME
 * CODE`, `rollback CODE` (`none` when there was nothing to restore). The
 * output of a failed step goes to stderr, the rollback's after a line
 * `hactl-rollback`.
 */
import type {HostPlan} from './plan.js'
import {quoteArgv} from './quote.js'

/** A shell parameter expansion (`${…}`), which the template below cannot hold as text. */
const expand = (expression: string): string => `\${${expression}}`

export const APPLY_SCRIPT = String.raw`trap '' HUP INT PIPE
temp=$1 live=$2 backup=$3 loaded=$4 size=$5 sum=$6 force=$7 checkms=$8 validate=$9
shift 9
reload=$1 check=$2 log=$3 tls=$4 how=$5 data=$6
umask 077
printf 'locked\n' 2>/dev/null
say() { printf '%s\n' "$*" 2>/dev/null; }
sumof() { _h=; [ -e "$1" ] && _h=$(sha256sum < "$1" 2>/dev/null); set -- $_h; _h=$1; }
hash() { sumof "$1"; [ -n "$_h" ] && printf '%s\n' "$_h"; }
attempt() { (eval "exec $1") > "$log" 2>&1 < /dev/null; }
report() { tail -c 2000 "$log" >&2 2>/dev/null; }
checked() {
  [ -n "$check" ] || return 0
  waited=0 pause=100
  while ! attempt "$check"; do
    [ $((waited + pause)) -gt "$checkms" ] && return 1
    sleep "$((pause / 1000)).$(printf '%03d' $((pause % 1000)))"
    waited=$((waited + pause)) pause=$((pause * 2))
    [ "$pause" -gt 1000 ] && pause=1000
  done
  return 0
}
case $live in */*) dir=${expand('live%/*')} ;; *) dir=. ;; esac
[ -n "$dir" ] || dir=/
link="$dir/hactl-tls" tlsid= tlsdir= tlsnew="$dir/.hactl-tls.hactl-new" tlsprev= tlsmoved=
finish() { rm -f -- "$temp" "$log"; [ -n "$tls" ] && rm -rf -- "$tlsnew"; exit "$1"; }
tlsswitch() { ln -sfn -- "$1" "$link.hactl-new" && mv -fT -- "$link.hactl-new" "$link"; }
tlsrestore() {
  [ -n "$tlsmoved" ] || return 0
  if [ -n "$tlsprev" ]; then tlsswitch "$tlsprev"; else rm -f -- "$link"; fi
}
# A link would be replaced by a plain file (and take the link's mode, 0777): the operator names the file it points at.
if [ -h "$live" ]; then say "upload 1 $live is a symbolic link: set remotePath to the file it points at ($(readlink -f -- "$live" 2>/dev/null))"; finish 1; fi
{ [ -e "$temp" ] || [ -h "$temp" ]; } && rm -f -- "$temp"
# The new file takes the live one's mode from its first byte where a umask can give it (no execute or special bits) and
# its owner can still read and write it: no chmod after. Any other mode is set after the upload, as the script needs to read it.
owner= tmask=077 chmodto=
if [ -e "$live" ] && set -- $(stat -c '%u %g %a' -- "$live" 2>/dev/null) && [ $# = 3 ]; then
  owner="$1:$2" mode=$((0$3))
  if [ $((mode & 07711)) = $((0600)) ]; then tmask=$(((~mode >> 6) & 6))$(((~mode >> 3) & 6))$((~mode & 6)); else tmask=077 chmodto=$3; fi
fi
umask "$tmask"
if [ "$how" = inline ]; then printf '%s' "$data" > "$temp"; else head -c "$size" | { cat > "$temp" || { cat > /dev/null; exit 1; }; }; fi
data=
umask 077
if [ -n "$tls" ]; then
  set -- $tls
  tlsid=$1; shift
  tlsdir="$dir/.hactl-tls.$tlsid"
  rm -rf -- "$tlsnew"
  mkdir -m 700 -- "$tlsnew" || finish 1
  while [ $# -gt 1 ]; do
    head -c "$2" > "$tlsnew/$1"
    printf '%s\n%s\n' "$1" "$2" >> "$tlsnew/.manifest"
    shift 2
  done
fi
exec < /dev/null
# One sha256sum for both files: the new one on its input (its line comes first), then the live one's line when it exists.
set -- $(sha256sum - "$live" 2>/dev/null < "$temp")
newsum=${expand('1#\\\\')} livesum=${expand('3#\\\\')}
if [ "$newsum" != "$sum" ]; then say "upload 1 received $(wc -c < "$temp" 2>/dev/null || echo 0) of $size bytes"; finish 1; fi
if [ -n "$tls" ]; then
  got=$(while read -r name; do read -r bytes; printf '%s\n%s\n' "$name" "$bytes"; cat -- "$tlsnew/$name"; done < "$tlsnew/.manifest" | sha256sum | cut -d ' ' -f 1)
  rm -f -- "$tlsnew/.manifest"
  [ "$got" = "$tlsid" ] || { say "upload 1 the certificates did not arrive whole"; finish 1; }
  tlsprev=$(readlink -- "$link" 2>/dev/null)
fi
say 'upload 0'
record=
[ -e "$loaded" ] && { read -r record < "$loaded" || :; } 2>/dev/null
tlssame=1
[ -n "$tls" ] && [ "$tlsprev" != ".hactl-tls.$tlsid" ] && tlssame=
if [ "$livesum" = "$sum" ] && [ "$force" = 0 ] && [ -n "$tlssame" ] && { [ -z "$record" ] || [ "$record" = "$sum" ]; }; then say unchanged; finish 0; fi
if [ -n "$owner" ]; then
  { [ -O "$live" ] && [ -G "$live" ] && [ -G "$temp" ]; } || chown "$owner" -- "$temp" 2>/dev/null || chgrp "${expand('owner#*:')}" -- "$temp" 2>/dev/null
  [ -n "$chmodto" ] && chmod "$chmodto" -- "$temp"
  [ -n "$tls" ] && { chown -R "$owner" -- "$tlsnew" 2>/dev/null || chgrp -R "${expand('owner#*:')}" -- "$tlsnew" 2>/dev/null; }
fi
if [ -z "$tlssame" ]; then
  { rm -rf -- "$tlsdir" && mv -- "$tlsnew" "$tlsdir" && tlsswitch ".hactl-tls.$tlsid"; } 2> "$log"; code=$?; say "step certificates $code"
  [ "$code" = 0 ] || { report; finish 1; }
  tlsmoved=1
fi
if [ -n "$validate" ]; then
  attempt "$validate"; code=$?; say "step validate $code"
  [ "$code" = 0 ] || { report; tlsrestore; [ -n "$tlsmoved" ] && rm -rf -- "$tlsdir"; finish 1; }
fi
if [ -n "$livesum" ] && [ "$livesum" != "$sum" ]; then
  ln -f -- "$live" "$backup" 2> "$log"; code=$?; say "step backup $code"
  [ "$code" = 0 ] || { report; finish 1; }
fi
mv -f -- "$temp" "$live" 2> "$log"; code=$?; say "step install $code"
[ "$code" = 0 ] || { report; finish 1; }
attempt "$reload"; code=$?; say "step reload $code"
if [ "$code" = 0 ]; then
  checked; code=$?
  [ -n "$check" ] && say "step check $code"
  if [ "$code" = 0 ]; then
    printf '%s\n' "$sum" > "$loaded"
    # Keep the certificates now served and those the backup names; older sets go.
    if [ -n "$tlsmoved" ]; then for old in "$dir"/.hactl-tls.*; do case "$old" in "$tlsdir" | "$dir/$tlsprev") ;; *) rm -rf -- "$old" ;; esac; done; fi
    finish 0
  fi
fi
report
printf 'hactl-rollback\n' >&2
# Only the certificates changed: the config stays, the certificates go back.
keepconfig=
[ "$livesum" = "$sum" ] && [ -n "$tlsmoved" ] && keepconfig=1
if [ -z "$keepconfig" ] && [ ! -e "$backup" ]; then tlsrestore; printf 'failed\n' > "$loaded"; say 'rollback none'; finish 1; fi
restoreconfig() { [ -n "$keepconfig" ] || { ln -f -- "$backup" "$temp" && mv -f -- "$temp" "$live"; }; }
if restoreconfig 2> "$log" && tlsrestore 2> "$log" && attempt "$reload" && checked; then
  hash "$live" > "$loaded"; say 'rollback 0'
else
  printf 'failed\n' > "$loaded"; report; say 'rollback 1'
fi
finish 1`

/**
 * The command (to follow the lock command) that runs the script in a session
 * of its own and waits for it. The config is its last argument (`inline`), or
 * follows on its input.
 */
export function applyCommand(plan: HostPlan, options: {size: number; sha256: string; force: boolean; checkTimeoutMs: number; inline?: string; tls?: string}): string[] {
  const {paths} = plan
  const text = (argv: string[] | undefined): string => (argv ? quoteArgv(argv) : '')
  return [
    'setsid',
    '-w',
    'sh',
    '-c',
    APPLY_SCRIPT,
    'sh',
    paths.temp,
    paths.live,
    paths.backup,
    paths.loaded,
    String(options.size),
    options.sha256,
    options.force ? '1' : '0',
    String(options.checkTimeoutMs),
    text(plan.validate),
    text(plan.reload),
    text(plan.check),
    paths.log,
    options.tls ?? '',
    ...(options.inline === undefined ? ['stdin'] : ['inline', options.inline]),
  ]
}

export type ApplyStep = 'backup' | 'certificates' | 'check' | 'install' | 'reload' | 'upload' | 'validate'

/** One progress line of the script, parsed; undefined for a line that is none of them. */
export type ApplyEvent =
  | {kind: 'rollback'; code: number | 'none'}
  | {kind: 'step'; step: ApplyStep; code: number; detail?: string}
  | {kind: 'unchanged'}

export function parseApplyLine(line: string): ApplyEvent | undefined {
  if (line === 'unchanged') return {kind: 'unchanged'}
  const upload = /^upload (\d+)(?: (.*))?$/.exec(line)
  if (upload) return {kind: 'step', step: 'upload', code: Number(upload[1]), detail: upload[2]}
  const step = /^step (certificates|validate|backup|install|reload|check) (\d+)$/.exec(line)
  if (step) return {kind: 'step', step: step[1] as ApplyStep, code: Number(step[2])}
  const rollback = /^rollback (\d+|none)$/.exec(line)
  if (rollback) return {kind: 'rollback', code: rollback[1] === 'none' ? 'none' : Number(rollback[1])}
  return undefined
}
