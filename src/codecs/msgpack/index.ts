/**
 * MessagePack as Python writes it (msgspec, the serializer of Flask-Session 0.7 and later, and
 * msgpack-python), for session records shared with Python apps. No dependency: a small encoder
 * and a decoder hardened for bytes anyone could have written.
 */
export {
  decodeMsgpack,
  decodeMsgpackEntries,
  MsgpackDecodeError,
  type MsgpackDecodeOptions,
  type MsgpackMapEntry,
} from "./decode.ts";
export { encodeMsgpack } from "./encode.ts";
export { MsgpackExtension } from "./extension.ts";
