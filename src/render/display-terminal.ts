/**
 * Puts display screens on a terminal without flicker: the alternate screen buffer, a hidden cursor, and
 * each frame written in one `write` as cursor-home + lines (each ending with erase-to-end-of-line) +
 * erase-below. Restores the terminal on `close()`, however the process ends.
 */

export const ESC = {
  altScreenOn: '\x1b[?1049h',
  altScreenOff: '\x1b[?1049l',
  hideCursor: '\x1b[?25l',
  showCursor: '\x1b[?25h',
  home: '\x1b[H',
  eraseLine: '\x1b[K',
  eraseBelow: '\x1b[J',
} as const;

export interface TerminalLike {
  write(chunk: string): boolean;
  columns?: number;
  rows?: number;
  on(event: 'resize', listener: () => void): unknown;
  off(event: 'resize', listener: () => void): unknown;
}

/** One frame: overwrite in place, never clear the whole screen (clearing is what flickers). */
export function frame(lines: readonly string[]): string {
  return ESC.home + lines.map((line) => line + ESC.eraseLine).join('\r\n') + ESC.eraseBelow;
}

export class FullScreen {
  private open = false;
  private readonly restore = (): void => this.close();

  constructor(private readonly out: TerminalLike, private readonly onResize: () => void) {}

  get size(): { width: number; height: number } {
    return { width: this.out.columns ?? 80, height: this.out.rows ?? 24 };
  }

  enter(): void {
    if (this.open) return;
    this.open = true;
    this.out.write(ESC.altScreenOn + ESC.hideCursor + ESC.home + ESC.eraseBelow);
    this.out.on('resize', this.onResize);
    process.once('exit', this.restore);
  }

  draw(lines: readonly string[]): void {
    if (this.open) this.out.write(frame(lines));
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.out.off('resize', this.onResize);
    process.off('exit', this.restore);
    this.out.write(ESC.showCursor + ESC.altScreenOff);
  }
}
