import { describe, expect, test } from 'bun:test'
import { encodePng } from './png.ts'
import { decodePng } from './test-support.ts'

describe('encodePng', () => {
  test('round-trips an RGBA image to RGB pixels', () => {
    const width = 7
    const height = 5
    const rgba = new Uint8Array(width * height * 4)
    for (let i = 0; i < width * height; i++) {
      rgba[i * 4] = (i * 37) & 0xff
      rgba[i * 4 + 1] = (i * 91 + 13) & 0xff
      rgba[i * 4 + 2] = 255 - ((i * 53) & 0xff)
      rgba[i * 4 + 3] = 255
    }
    const decoded = decodePng(encodePng(width, height, rgba))
    expect(decoded.width).toBe(width)
    expect(decoded.height).toBe(height)
    for (let i = 0; i < width * height; i++)
      expect([...decoded.rgb.subarray(i * 3, i * 3 + 3)]).toEqual([
        ...rgba.subarray(i * 4, i * 4 + 3),
      ])
  })

  test('refuses a pixel buffer of the wrong size', () => {
    expect(() => encodePng(2, 2, new Uint8Array(15))).toThrow(RangeError)
  })
})
