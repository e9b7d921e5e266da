/**
 * A small typed schema for fixed-size binary records: `schema({ x: 'f32', y: 'f32', hp: 'u8' })` encodes
 * `{ x, y, hp }` into 9 bytes (little-endian, fields in the order written) and decodes it back, typed.
 * Fixed size keeps a state update's size known in advance, so it can be held under the path MTU.
 */

export type FieldType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64' | 'bool';

const SIZES: Record<FieldType, number> = {
  u8: 1,
  i8: 1,
  bool: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  f32: 4,
  f64: 8,
};

export type Fields = Record<string, FieldType>;

/** The value a schema describes: numbers, and booleans for `bool` fields. */
export type ValueOf<F extends Fields> = { [K in keyof F]: F[K] extends 'bool' ? boolean : number };

export interface Schema<T> {
  /** Bytes one record takes. */
  readonly size: number;
  readonly fields: Readonly<Fields>;
  /** Writes `value` at `offset`. Numbers out of an integer field's range wrap as DataView's setters do. */
  write(view: DataView, offset: number, value: T): void;
  read(view: DataView, offset: number): T;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

export function schema<const F extends Fields>(fields: F): Schema<ValueOf<F>> {
  const layout: [name: string, type: FieldType, offset: number][] = [];
  let size = 0;
  for (const [name, type] of Object.entries(fields)) {
    if (!(type in SIZES)) throw new TypeError(`schema: field "${name}" has unknown type "${type}"`);
    layout.push([name, type, size]);
    size += SIZES[type];
  }
  const write = (view: DataView, offset: number, value: ValueOf<F>): void => {
    const v = value as Record<string, number | boolean>;
    for (const [name, type, at] of layout) writeField(view, offset + at, type, v[name] ?? 0);
  };
  const read = (view: DataView, offset: number): ValueOf<F> => {
    const out: Record<string, number | boolean> = {};
    for (const [name, type, at] of layout) out[name] = readField(view, offset + at, type);
    return out as ValueOf<F>;
  };
  return {
    size,
    fields: { ...fields },
    write,
    read,
    encode(value) {
      const bytes = new Uint8Array(size);
      write(new DataView(bytes.buffer), 0, value);
      return bytes;
    },
    decode(bytes) {
      if (bytes.byteLength < size) throw new RangeError(`schema: ${bytes.byteLength} bytes, need ${size}`);
      return read(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0);
    },
  };
}

function writeField(view: DataView, at: number, type: FieldType, value: number | boolean): void {
  const n = Number(value);
  switch (type) {
    case 'u8':
    case 'bool':
      view.setUint8(at, n);
      return;
    case 'i8':
      view.setInt8(at, n);
      return;
    case 'u16':
      view.setUint16(at, n, true);
      return;
    case 'i16':
      view.setInt16(at, n, true);
      return;
    case 'u32':
      view.setUint32(at, n, true);
      return;
    case 'i32':
      view.setInt32(at, n, true);
      return;
    case 'f32':
      view.setFloat32(at, n, true);
      return;
    case 'f64':
      view.setFloat64(at, n, true);
  }
}

function readField(view: DataView, at: number, type: FieldType): number | boolean {
  switch (type) {
    case 'u8':
      return view.getUint8(at);
    case 'bool':
      return view.getUint8(at) !== 0;
    case 'i8':
      return view.getInt8(at);
    case 'u16':
      return view.getUint16(at, true);
    case 'i16':
      return view.getInt16(at, true);
    case 'u32':
      return view.getUint32(at, true);
    case 'i32':
      return view.getInt32(at, true);
    case 'f32':
      return view.getFloat32(at, true);
    case 'f64':
      return view.getFloat64(at, true);
  }
}
