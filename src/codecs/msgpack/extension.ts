/**
 * A MessagePack extension value tessera does not interpret: any extension type but the
 * timestamp (-1). Python writes one with `msgpack.ExtType(code, data)` or
 * `msgspec.msgpack.Ext(code, data)`. The decoder gives one back for such a value, and the
 * encoder writes it as the same extension bytes, so a value read from a record and set again
 * reaches Python unchanged.
 */
export class MsgpackExtension {
  /** The extension type, -128 to 127 (-1, the timestamp, reads as a Date instead). */
  readonly type: number;
  /** The extension's payload, as it was stored. */
  readonly data: Uint8Array;

  constructor(type: number, data: Uint8Array) {
    this.type = type;
    this.data = data;
  }
}
