import { Transform, TransformCallback } from 'node:stream';

const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;

/** COPY's text format writes these control characters as a backslash and a letter. */
const UNESCAPE: Record<number, number> = { 0x62: 0x08, 0x66: 0x0c, 0x6e: LF, 0x72: CR, 0x74: 0x09, 0x76: 0x0b };

/**
 * Turns `COPY (SELECT line ...) TO STDOUT` output (text format, one column) back into the lines
 * themselves, each ended by CRLF as RFC 4180 wants: COPY ends rows with LF and escapes backslashes
 * and control characters inside a value, so a CSV line built in SQL comes out byte for byte,
 * whatever the data holds. Works on bytes (UTF-8 never uses these values inside a character) and
 * carries a backslash that ends one chunk over to the next.
 */
export class CopyTextLines extends Transform {
  private escaped = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    done(null, this.convert(chunk));
  }

  override _flush(done: TransformCallback): void {
    done(this.ended());
  }

  /** Called after the last chunk converted outside a pipeline: an error when the output was cut inside an escape. */
  ended(): Error | null {
    return this.escaped ? new Error('COPY output ended inside an escape sequence') : null;
  }

  convert(chunk: Buffer): Buffer {
    const len = chunk.length;
    const out = Buffer.allocUnsafe(len * 2);
    let o = 0;
    let i = 0;
    if (this.escaped && len > 0) {
      out[o++] = UNESCAPE[chunk[0]] ?? chunk[0];
      this.escaped = false;
      i = 1;
    }
    let nl = chunk.indexOf(LF, i);
    let bs = chunk.indexOf(BACKSLASH, i);
    while (i < len) {
      const next = nl === -1 ? bs : bs === -1 ? nl : Math.min(nl, bs);
      if (next === -1) {
        o += chunk.copy(out, o, i);
        break;
      }
      o += chunk.copy(out, o, i, next);
      if (next === nl) {
        out[o++] = CR;
        out[o++] = LF;
        i = next + 1;
        nl = chunk.indexOf(LF, i);
      } else {
        if (next + 1 >= len) {
          this.escaped = true;
          break;
        }
        const c = chunk[next + 1];
        out[o++] = UNESCAPE[c] ?? c;
        i = next + 2;
        bs = chunk.indexOf(BACKSLASH, i);
        if (nl !== -1 && nl < i) nl = chunk.indexOf(LF, i);
      }
    }
    return out.subarray(0, o);
  }
}
