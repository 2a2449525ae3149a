import { DataError } from '../core/errors.js';

/** True when the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

const TYPES: Record<number, { name: string; size: number }> = {
  8: { name: 'ubyte', size: 1 },
  9: { name: 'byte', size: 1 },
  11: { name: 'short', size: 2 },
  12: { name: 'int', size: 4 },
  13: { name: 'float', size: 4 },
  14: { name: 'double', size: 8 },
};

/**
 * Parses the IDX format of MNIST / Fashion-MNIST (already decompressed): magic 00 00 <type> <ndims>,
 * big-endian u32 dimensions, then the data. Only unsigned bytes are returned (what both datasets use);
 * other types are recognised and rejected with a clear error.
 */
export function parseIdx(bytes: Uint8Array, file = 'IDX data'): { dims: number[]; data: Uint8Array } {
  if (bytes.length < 4) throw new DataError(`too short for an IDX header (${bytes.length} bytes)`, file);
  if (isGzip(bytes)) throw new DataError('is still gzip-compressed; decompress before parsing', file);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataError(`not an IDX file: magic starts with ${hex(bytes[0])} ${hex(bytes[1])}, expected 00 00`, file);
  }
  const type = TYPES[bytes[2]];
  if (!type) throw new DataError(`unknown IDX data type ${hex(bytes[2])}`, file);
  if (type.name !== 'ubyte') throw new DataError(`IDX data type is ${type.name}; spikeflow reads ubyte images and labels`, file);
  const ndims = bytes[3];
  if (ndims < 1 || ndims > 4) throw new DataError(`IDX header has ${ndims} dimensions, expected 1 to 4`, file);
  const headerLen = 4 + 4 * ndims;
  if (bytes.length < headerLen) throw new DataError(`truncated header: ${bytes.length} bytes, expected at least ${headerLen}`, file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < ndims; d++) {
    const v = view.getUint32(4 + 4 * d, false);
    dims.push(v);
    count *= v;
  }
  const have = bytes.length - headerLen;
  if (have !== count) {
    throw new DataError(
      `dimensions [${dims.join(', ')}] need ${count} data bytes, found ${have}${have < count ? ' (truncated file?)' : ''}`,
      file,
    );
  }
  return { dims, data: bytes.subarray(headerLen) };
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
