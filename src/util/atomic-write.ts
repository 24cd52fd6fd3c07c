import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from './errors.js';

/**
 * Writes `path` atomically: the content goes to a temporary file in the same directory (same file
 * system, so the rename is atomic), then replaces `path`. An interrupted write leaves either the old
 * file or the new one, never half of one; the temporary is removed on failure.
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, content);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * `mkdir -p` that always terminates: Node's recursive mkdir loops forever on some file systems (e.g.
 * under /proc, where mkdir answers ENOENT for a parent that exists).
 */
export async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
      return;
    }
    if (code !== 'ENOENT' || dirname(dir) === dir) throw err;
    await ensureDir(dirname(dir));
    await mkdir(dir).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again;
    });
  }
}

/**
 * Creates `dir` if needed and proves a file can be written in it (the probe is removed), so a long run
 * does not find out only at its end that its results cannot be saved. Throws one UserError line.
 */
export async function requireWritableDir(dir: string, what: string): Promise<void> {
  try {
    await ensureDir(dir);
    await writeFileAtomic(join(dir, `.ticker-probe-${process.pid}`), '');
    await rm(join(dir, `.ticker-probe-${process.pid}`), { force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    throw new UserError(`cannot write ${what} to ${dir}: ${WHY_NOT_WRITABLE[code] ?? code}`);
  }
}

/** Why a path cannot be written, in words, by errno code (shared by every one-line write error). */
export const WHY_NOT_WRITABLE: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'no such directory',
  ENOTDIR: 'a part of the path is not a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
};
