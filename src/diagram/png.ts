/**
 * A small PNG encoder for resvg's RGBA pixels, using the native zlib of the runtime: resvg-wasm's
 * own `asPng()` compresses inside WebAssembly and takes 3–5× longer than the rendering itself.
 * Diagrams sit on an opaque white background, so the image is written as 8-bit RGB.
 */
import { deflateSync } from 'node:zlib'

const SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** PNG bytes of an RGBA image (alpha is dropped: the caller composited onto a background). */
export function encodePng(width: number, height: number, rgba: Uint8Array): Uint8Array {
  if (rgba.length !== width * height * 4)
    throw new RangeError(`expected ${width * height * 4} RGBA bytes, got ${rgba.length}`)
  const stride = width * 3 + 1
  const raw = new Uint8Array(stride * height)
  for (let y = 0; y < height; y++) {
    let o = y * stride
    // Filter "Up" (2): each byte minus the one above; flat diagram areas become runs of zeros.
    raw[o++] = y === 0 ? 0 : 2
    let i = y * width * 4
    const above = i - width * 4
    for (let x = 0; x < width; x++, i += 4) {
      if (y === 0) {
        raw[o++] = rgba[i] as number
        raw[o++] = rgba[i + 1] as number
        raw[o++] = rgba[i + 2] as number
      } else {
        const a = above + x * 4
        raw[o++] = ((rgba[i] as number) - (rgba[a] as number)) & 0xff
        raw[o++] = ((rgba[i + 1] as number) - (rgba[a + 1] as number)) & 0xff
        raw[o++] = ((rgba[i + 2] as number) - (rgba[a + 2] as number)) & 0xff
      }
    }
  }
  const ihdr = new Uint8Array(13)
  const view = new DataView(ihdr.buffer)
  view.setUint32(0, width)
  view.setUint32(4, height)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 2 // colour type: RGB
  const idat = deflateSync(raw, { level: 6 })
  const chunks = [
    chunk('IHDR', ihdr),
    chunk('IDAT', new Uint8Array(idat.buffer, idat.byteOffset, idat.byteLength)),
    chunk('IEND', new Uint8Array(0)),
  ]
  const out = new Uint8Array(SIGNATURE.length + chunks.reduce((n, c) => n + c.length, 0))
  out.set(SIGNATURE, 0)
  let offset = SIGNATURE.length
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.length
  }
  return out
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length)
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i)
  out.set(data, 8)
  view.setUint32(8 + data.length, Bun.hash.crc32(out.subarray(4, 8 + data.length)))
  return out
}
