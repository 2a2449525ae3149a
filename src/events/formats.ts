import { ValueError } from '../core/errors.js';
import { type Aedat2Options, Aedat2Decoder, type Aedat3Options, Aedat3Decoder } from './aedat.js';
import { type Aedat4Options, Aedat4Decoder } from './aedat4.js';
import { type ChunkDecoder, decodeAll } from './decoder.js';
import type { Events } from './events.js';
import { NmnistDecoder, type NmnistOptions } from './nmnist.js';
import { NpyDecoder, type NpyOptions } from './npy.js';
import { Evt2RawDecoder, type PropheseeOptions, PropheseeDatDecoder } from './prophesee.js';

/** The event file formats spikeflow reads. */
export type EventFormat = 'nmnist' | 'prophesee-dat' | 'evt2-raw' | 'aedat4' | 'aedat2' | 'aedat3' | 'npy';

export const EVENT_FORMATS: readonly EventFormat[] = ['nmnist', 'prophesee-dat', 'evt2-raw', 'aedat4', 'aedat2', 'aedat3', 'npy'];

/** Options of any reader (each reader uses those that apply to it). */
export type EventFileOptions = NmnistOptions & PropheseeOptions & Aedat2Options & Aedat3Options & Aedat4Options & NpyOptions;

/**
 * The format of a file from its first bytes (at least 16 of them) and, where the bytes cannot tell, its
 * name: "#!AER-DAT4" AEDAT 4, "#!AER-DAT3" AEDAT 3, "#!AER-DAT2" AEDAT 2, "\x93NUMPY" npy, '%' headers
 * ".raw" EVT 2.0 or else Prophesee .dat, and ".bin" / ".bs2" N-MNIST. Undefined when it cannot tell.
 */
export function detectEventFormat(head: Uint8Array, name = ''): EventFormat | undefined {
  const s = String.fromCharCode(...head.subarray(0, 16));
  if (s.startsWith('#!AER-DAT4')) return 'aedat4';
  if (s.startsWith('#!AER-DAT3')) return 'aedat3';
  if (s.startsWith('#!AER-DAT2')) return 'aedat2';
  if (s.startsWith('\x93NUMPY')) return 'npy';
  const lower = name.toLowerCase();
  if (s.startsWith('%')) return lower.endsWith('.raw') || /%\s*evt\s*2/i.test(s) ? 'evt2-raw' : 'prophesee-dat';
  if (lower.endsWith('.bin') || lower.endsWith('.bs2')) return 'nmnist';
  if (lower.endsWith('.dat')) return 'prophesee-dat';
  if (lower.endsWith('.npy')) return 'npy';
  return undefined;
}

/** A fresh decoder for a format. */
export function eventDecoder(format: EventFormat, opts: EventFileOptions = {}): ChunkDecoder {
  switch (format) {
    case 'nmnist':
      return new NmnistDecoder(pick(opts, ['file', 'sensorSize']));
    case 'prophesee-dat':
      return new PropheseeDatDecoder(pick(opts, ['file', 'sensorSize']));
    case 'evt2-raw':
      return new Evt2RawDecoder(pick(opts, ['file', 'sensorSize']));
    case 'aedat4':
      return new Aedat4Decoder(pick(opts, ['file', 'sensorSize', 'streamId']));
    case 'aedat2':
      return new Aedat2Decoder(pick(opts, ['file', 'sensorSize', 'layout']));
    case 'aedat3':
      return new Aedat3Decoder(pick(opts, ['file', 'sensorSize']));
    case 'npy':
      return new NpyDecoder(pick(opts, ['file', 'sensorSize', 'columns', 'timeScale']));
    default:
      throw new ValueError(`event format: expected one of ${EVENT_FORMATS.join(', ')}, found ${JSON.stringify(format)}`);
  }
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/**
 * Reads an event file of any supported format from its bytes; the format from `opts.format`, else from
 * the bytes and `opts.file` (detectEventFormat).
 */
export function readEvents(bytes: Uint8Array, opts: EventFileOptions & { format?: EventFormat } = {}): Events {
  const format = opts.format ?? detectEventFormat(bytes, opts.file);
  if (!format)
    throw new ValueError(`readEvents: cannot tell the format of ${opts.file ?? 'the bytes'}; pass format (${EVENT_FORMATS.join(', ')})`);
  return decodeAll(eventDecoder(format, opts), bytes);
}
