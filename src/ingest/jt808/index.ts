// JT/T 808 decoders and encoders (pure: no sockets, no storage, no clock).
export * from './alarm-status';
export * from './bcd';
export { fromHex, toHex } from './bytes';
export * from './encoder';
export * from './frame';
export * from './frame-splitter';
export { decodeGbk, encodeGbk } from './gbk';
export * from './header';
export * from './msg-0100-register';
export * from './msg-0102-auth';
export * from './msg-0200-position';
export * from './msg-0702-driver-card';
export * from './msg-0704-batch';
export * from './msg-1005-passenger-flow';
export * from './packet';
export * from './registration';
export * from './session';
export * from './subpackage';
