import { isIP } from 'node:net';

/** True for addresses only this machine can reach: localhost, 127.0.0.0/8, ::1 (and ::ffff:127.x). */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * Refuses to expose an unauthenticated server beyond this machine. `host` may be a comma-separated list
 * (as mongod's --bind_ip); every entry must be loopback unless authentication is on or `force` is set.
 */
export function checkBindSafety(host: string, auth: boolean, force: boolean): void {
  if (auth || force) return;
  const exposed = host.split(',').map((h) => h.trim()).filter((h) => h.length > 0 && !isLoopback(h));
  if (exposed.length === 0) return;
  throw new Error(
    `refusing to bind ${exposed.join(', ')} without authentication: anyone who can reach it could read and change the data; `
    + 'add --auth user:password, or --insecure-bind to bind anyway',
  );
}
