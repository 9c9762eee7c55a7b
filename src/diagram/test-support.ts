/**
 * Test support for the diagram tests (not used by the product): reads back the PNGs our encoder
 * writes so tests can check sizes and pixels.
 */
import { expect } from 'bun:test'
import { inflateSync } from 'node:zlib'

/** Decodes the PNGs our encoder writes (8-bit RGB, filters None and Up), checking every CRC. */
export function decodePng(png: Uint8Array): { width: number; height: number; rgb: Uint8Array } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  let offset = 8
  let width = 0
  let height = 0
  const idat: Uint8Array[] = []
  for (;;) {
    const length = view.getUint32(offset)
    const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8))
    const data = png.subarray(offset + 8, offset + 8 + length)
    expect(view.getUint32(offset + 8 + length)).toBe(
      Bun.hash.crc32(png.subarray(offset + 4, offset + 8 + length)),
    )
    if (type === 'IHDR') {
      width = view.getUint32(offset + 8)
      height = view.getUint32(offset + 12)
      expect([data[8], data[9], data[10], data[11], data[12]]).toEqual([8, 2, 0, 0, 0])
    } else if (type === 'IDAT') idat.push(data)
    offset += 12 + length
    if (type === 'IEND') break
  }
  const raw = inflateSync(Buffer.concat(idat))
  const stride = width * 3
  const rgb = new Uint8Array(stride * height)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x] as number
      const up = y === 0 ? 0 : (rgb[(y - 1) * stride + x] as number)
      if (filter === 0) rgb[y * stride + x] = v
      else if (filter === 2) rgb[y * stride + x] = (v + up) & 0xff
      else throw new Error(`unexpected filter ${filter}`)
    }
  }
  return { width, height, rgb }
}
