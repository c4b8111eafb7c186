// 0x0704 batch / blind-area upload: count WORD, type BYTE (0 normal, 1 blind-area), count × (len WORD + 0x0200 body).
import type { DecodeError, Fix } from '../../core/fix';
import { u16 } from './bytes';
import { decodePositionBody, type PositionContext } from './msg-0200-position';

export interface BatchDecodeResult {
  /** 0 = normal batch, 1 = blind-area re-send (盲区补报). */
  batchType: number;
  declaredCount: number;
  fixes: Fix[];
}

/**
 * Decodes the items that can be decoded; a bad item is reported in `errors` and skipped, an item
 * whose length overruns the body ends the batch. Fixes of a type-1 batch carry `blindArea: true`.
 */
export function decodeBatch0704(
  body: Uint8Array,
  ctx: PositionContext,
  errors: DecodeError[],
): BatchDecodeResult | undefined {
  if (body.length < 3) {
    errors.push({ code: 'short_body', message: `0x0704 body needs 3 bytes, got ${body.length}` });
    return undefined;
  }
  const declaredCount = u16(body, 0);
  const batchType = body[2]!;
  const fixes: Fix[] = [];
  let o = 3;
  let index = 0;
  while (o < body.length && index < declaredCount) {
    if (o + 2 > body.length) {
      errors.push({ code: 'malformed_batch_item', message: `item ${index}: length word truncated` });
      break;
    }
    const len = u16(body, o);
    const start = o + 2;
    if (start + len > body.length) {
      errors.push({
        code: 'malformed_batch_item',
        message: `item ${index}: declares ${len} bytes, ${body.length - start} remain`,
      });
      break;
    }
    const itemErrors: DecodeError[] = [];
    const fix = decodePositionBody(body, start, start + len, ctx, itemErrors);
    for (const e of itemErrors) errors.push({ code: e.code, message: `item ${index}: ${e.message}` });
    if (fix) {
      fix.blindArea = batchType === 1;
      fix.attributes.batchIndex = index;
      fixes.push(fix);
    }
    o = start + len;
    index++;
  }
  if (index < declaredCount && errors.length === 0) {
    errors.push({
      code: 'batch_count_mismatch',
      message: `batch declares ${declaredCount} items, body holds ${index}`,
    });
  }
  return { batchType, declaredCount, fixes };
}
