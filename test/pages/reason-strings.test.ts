// Every reason the R6 trip-start check can give has its words on the attendant page, in both languages (an unknown
// code would fall back to a generic sentence).
import { describe, expect, it } from 'vitest';
import { credentialFailures } from '../../src/core/rules/driver-credentials';
import { en, zh } from '../../src/pages/attendant/strings';

describe('attendant page: driver-credential reasons', () => {
  it.each(credentialFailures)('words %s in English and Chinese', (code) => {
    expect(en[`reason.${code}`]).toEqual(expect.any(String));
    expect(zh[`reason.${code}`]).toEqual(expect.any(String));
    expect(en[`reason.${code}`]).not.toBe(zh[`reason.${code}`]);
  });
});
